namespace Distill.StudentTrainer.Schemes;

/// <summary>Names of the values the pair trainer adds to <c>metrics.jsonl</c>.</summary>
public static class SchemeMetricNames
{
    /// <summary>Kind of the records DistiLLM's schedule writes at each evaluation.</summary>
    public const string Record = "scheme";

    /// <summary>Batches trained on gold responses so far (train records).</summary>
    public const string GoldBatches = "batches_gold";

    /// <summary>Batches of fresh student samples so far (train records).</summary>
    public const string GeneratedBatches = "batches_generated";

    /// <summary>Batches drawn from the replay buffer so far (train records).</summary>
    public const string ReplayedBatches = "batches_replayed";

    /// <summary>DistiLLM's threshold τ (train and scheme records).</summary>
    public const string Threshold = "distillm_threshold";

    /// <summary>Samples in DistiLLM's replay buffer (train records).</summary>
    public const string ReplayBuffer = "replay_buffer";

    /// <summary>The student's mean cross-entropy on the validation pairs' response tokens, nats (scheme records).</summary>
    public const string ValidationResponseLoss = "val_response_ce";
}
