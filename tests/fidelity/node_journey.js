// Stigg's official Node server SDK, unmodified, against the stigg_async emulator.
// Usage: node node_journey.js <baseUri> <apiKey> <withPartB: 0|1>
const { Stigg } = require('@stigg/node-server-sdk');

async function main() {
  // now: the emulator's clock (a fake one in tests), so dates are relative to it.
  const [baseUri, apiKey, partB, now] = process.argv.slice(2);
  const stigg = Stigg.initialize({
    apiKey,
    baseUri,
    enableEdge: false,
    realtimeUpdatesEnabled: false,
  });
  await stigg.waitForInitialization();
  const steps = {};
  steps.getProducts = (await stigg.getProducts()).length;
  const paywall = await stigg.getPaywall({ productId: 'product-revvenu', customerId: 'node-customer' });
  steps.getPaywall = paywall.plans.map((p) => p.id);
  steps.getSubscriptions = (await stigg.getSubscriptions({ customerId: 'node-customer' })).data.length;
  const preview = await stigg.previewSubscription({
    customerId: 'node-customer',
    planId: 'plan-revvenu-essentials',
    billingPeriod: 'MONTHLY',
    unitQuantity: 5,
  });
  steps.previewSubscription = preview;
  if (partB === '1') {
    // Part B's roots (usageHistoryV2, archiveCustomer): enabled once merged.
    await stigg.getUsageHistoryV2({
      customerId: 'node-customer',
      featureId: 'feature-02-campaigns',
      startDate: new Date(Date.parse(now) - 86400000),
    });
    steps.getUsageHistoryV2 = 'ok';
    await stigg.archiveCustomer('node-customer');
    steps.archiveCustomer = 'ok';
  }
  console.log(JSON.stringify(steps));
  await stigg.close();
}

main().catch((err) => {
  console.error(String(err && err.stack ? err.stack : err));
  process.exit(1);
});
