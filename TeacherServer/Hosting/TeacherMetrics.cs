using Prometheus;

namespace Distill.TeacherServer.Hosting;

/// <summary>Prometheus metrics of the teacher (HTTP request counts and latencies come from UseHttpMetrics).</summary>
public static class TeacherMetrics
{
    public static readonly Counter TopKRequests = Metrics.CreateCounter(
        "distill_topk_requests_total", "Top-k requests answered, by model and encoding.",
        new CounterConfiguration { LabelNames = ["model", "encoding"] });

    public static readonly Counter GenerateRequests = Metrics.CreateCounter(
        "distill_generate_requests_total", "Generate requests answered, by model.",
        new CounterConfiguration { LabelNames = ["model"] });

    public static readonly Counter TokensServed = Metrics.CreateCounter(
        "distill_tokens_served_total", "Positions whose top-k was returned, plus generated tokens.",
        new CounterConfiguration { LabelNames = ["model"] });

    public static readonly Counter Rejected = Metrics.CreateCounter(
        "distill_requests_rejected_total", "Requests refused with 429: the model's queue was full, or request bodies took the whole body budget.",
        new CounterConfiguration { LabelNames = ["model"] });

    public static readonly Histogram BatchRows = Metrics.CreateHistogram(
        "distill_batch_rows", "Sequences per ORT run.",
        new HistogramConfiguration { LabelNames = ["model"], Buckets = Histogram.ExponentialBuckets(1, 2, 12) });

    public static readonly Histogram BatchTokens = Metrics.CreateHistogram(
        "distill_batch_tokens", "Padded tokens (rows × length) per ORT run.",
        new HistogramConfiguration { LabelNames = ["model"], Buckets = Histogram.ExponentialBuckets(16, 2, 14) });

    public static readonly Histogram RunSeconds = Metrics.CreateHistogram(
        "distill_run_seconds", "Duration of one ORT run and of the top-k selection of its rows.",
        new HistogramConfiguration { LabelNames = ["model"], Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });

    public static readonly Histogram RequestSeconds = Metrics.CreateHistogram(
        "distill_request_seconds", "Time from admission to answer of top-k and generate requests.",
        new HistogramConfiguration { LabelNames = ["model", "endpoint"], Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });

    public static readonly Gauge QueueDepth = Metrics.CreateGauge(
        "distill_queue_depth", "Sequences waiting for an ORT run.",
        new GaugeConfiguration { LabelNames = ["model"] });

    public static readonly Counter ModelSwaps = Metrics.CreateCounter(
        "distill_model_swaps_total", "Model versions published (first load or hot swap).",
        new CounterConfiguration { LabelNames = ["model"] });

    public static readonly Counter ModelLoadFailures = Metrics.CreateCounter(
        "distill_model_load_failures_total", "Model folders rejected as corrupt or incompatible.",
        new CounterConfiguration { LabelNames = ["model"] });

    public static readonly Gauge BudgetBytes = Metrics.CreateGauge(
        "distill_budget_bytes", "Capacity of a memory budget: work (answers in flight) or body (request bodies and their token ids).",
        new GaugeConfiguration { LabelNames = ["budget"] });

    public static readonly Gauge BudgetInUse = Metrics.CreateGauge(
        "distill_budget_in_use_bytes", "Bytes of a memory budget held by requests.",
        new GaugeConfiguration { LabelNames = ["budget"] });

    public static readonly Gauge BudgetWaiting = Metrics.CreateGauge(
        "distill_budget_waiting_requests", "Requests waiting for their share of a memory budget.",
        new GaugeConfiguration { LabelNames = ["budget"] });

    public static readonly Counter AnswersTooLarge = Metrics.CreateCounter(
        "distill_answers_too_large_total", "Requests refused with 413 because their answer alone exceeds the work budget.",
        new CounterConfiguration { LabelNames = ["model"] });

    public static readonly Gauge ModelsLoaded = Metrics.CreateGauge("distill_models_loaded", "Models being served.");

    public static readonly Counter PrefixCacheHits = Metrics.CreateCounter(
        "distill_prefix_cache_hits_total", "Rows that reused cached keys and values of at least one leading position.",
        new CounterConfiguration { LabelNames = ["model"] });

    public static readonly Counter PrefixCacheMisses = Metrics.CreateCounter(
        "distill_prefix_cache_misses_total", "Rows asking from a start > 0 of a model with a prefix cache that found no cached prefix to use.",
        new CounterConfiguration { LabelNames = ["model"] });

    public static readonly Counter PrefixCacheHitPositions = Metrics.CreateCounter(
        "distill_prefix_cache_hit_positions_total", "Positions whose keys and values came from the prefix cache instead of being run.",
        new CounterConfiguration { LabelNames = ["model"] });

    public static readonly Gauge PrefixCacheBytes = Metrics.CreateGauge(
        "distill_prefix_cache_bytes", "Bytes of keys and values the prefix cache holds.",
        new GaugeConfiguration { LabelNames = ["model"] });

    public static readonly Counter PrefixCacheEvictions = Metrics.CreateCounter(
        "distill_prefix_cache_evictions_total", "Cached blocks of keys and values dropped to stay within the budget.",
        new CounterConfiguration { LabelNames = ["model"] });
}
