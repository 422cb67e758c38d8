"""Buffered, batched, idempotent delivery of usage reports and raw events.

``AsyncStigg.track_usage`` / ``track_event`` / ``track_credits`` put an item on a
bounded queue in about a microsecond; a background flusher sends the queue in batches
through ``reportUsageBulk``, ``reportEvent`` and ``consumeCreditsAsync``, retrying
transient failures with the same idempotency key per item, so each item is counted
exactly once.
"""

from stigg_async._usage._items import CreditRecord, DimensionValue, EventRecord, UsageRecord
from stigg_async._usage._options import FullQueuePolicy, UsageErrorCallback, UsagePipelineOptions
from stigg_async._usage._pipeline import MeasurementsCallback, UsagePipeline, UsageTransport
from stigg_async._usage._stats import FlushReport, UsageCloseReport, UsageStats

__all__ = [
    "CreditRecord",
    "DimensionValue",
    "EventRecord",
    "FlushReport",
    "FullQueuePolicy",
    "MeasurementsCallback",
    "UsageCloseReport",
    "UsageErrorCallback",
    "UsagePipeline",
    "UsagePipelineOptions",
    "UsageRecord",
    "UsageStats",
    "UsageTransport",
]
