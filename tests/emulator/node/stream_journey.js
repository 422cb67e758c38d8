// Stigg's Node server SDK streaming from the emulator (run by tests/emulator/test_node_sdk_stream.py).
// argv: <path of @stigg/node-server-sdk> <emulator base URL> <api key>
const { Stigg } = require(process.argv[2]);
const base = process.argv[3];
const key = process.argv[4];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function post(query, variables) {
  const r = await fetch(base + '/graphql', { method: 'POST', headers: { 'content-type': 'application/json', 'X-API-KEY': key }, body: JSON.stringify({ query, variables }) });
  return r.json();
}
async function counters() { const r = await fetch(base + '/_emulator/counters', { headers: { 'X-API-KEY': key } }); return r.json(); }
async function stream() { const r = await fetch(base + '/_emulator/stream', { headers: { 'X-API-KEY': key } }); return r.json(); }
(async () => {
  const stigg = Stigg.initialize({ apiKey: key, baseUri: base, enableEdge: false, enableRemoteConfig: false, realtimeUpdatesEnabled: true });
  await stigg.waitForInitialization();
  for (let i = 0; i < 50 && (await stream()).activeSubscriptions < 4; i++) await sleep(50);
  const first = await stigg.getMeteredEntitlement({ customerId: 'c-1', featureId: 'feature-02-campaigns' });
  const before = (await counters()).total;
  await post('mutation($i: ReportUsageInput!){ reportUsage(input:$i){ currentUsage } }', { i: { customerId: 'c-1', featureId: 'feature-02-campaigns', value: 2 } });
  await post('mutation($i: GrantPromotionalEntitlementsInput!){ grantPromotionalEntitlements(input:$i){ id } }', { i: { customerId: 'c-1', promotionalEntitlements: [{ featureId: 'feature-03-custom-domain', period: 'ONE_MONTH' }] } });
  await sleep(300);
  const after = await stigg.getMeteredEntitlement({ customerId: 'c-1', featureId: 'feature-02-campaigns' });
  const promo = await stigg.getBooleanEntitlement({ customerId: 'c-1', featureId: 'feature-03-custom-domain' });
  const requests = (await counters()).total - before - 2;
  console.log(JSON.stringify({ firstUsage: first.currentUsage, afterUsage: after.currentUsage, promoGranted: promo.hasAccess, requestsByNode: requests, stream: await stream() }));
  stigg.close();
  process.exit(0);
})().catch((e) => { console.error('ERR', e); process.exit(1); });
