namespace Distill.StudentTrainer.Schemes;

/// <summary>Names of the values a MiniLLM step writes to <c>metrics.jsonl</c> (train records; means over the PPO epochs where they vary).</summary>
public static class MiniLlmMetricNames
{
    /// <summary>The objective: policy gradient + single-step regulariser + lm-coef × LM loss.</summary>
    public const string Loss = Evaluation.MetricNames.Loss;

    /// <summary>Mean per-token reward log p(y_t) − log q(y_t) over response tokens (scaled and clipped).</summary>
    public const string Reward = "reward";

    /// <summary>Mean return over response tokens, before whitening.</summary>
    public const string Return = "return";

    /// <summary>The clipped, importance-weighted PPO loss.</summary>
    public const string PolicyGradient = "pg_loss";

    /// <summary>The single-step KL(q_t ‖ p_t), nats per response token.</summary>
    public const string Regulariser = "reg_loss";

    /// <summary>Cross-entropy on the corpus windows, nats per token.</summary>
    public const string LmLoss = "lm_loss";

    /// <summary>Mean ratio q_new(y_t)/q_old(y_t).</summary>
    public const string Ratio = "ratio";

    /// <summary>Share of response tokens whose ratio PPO clipped.</summary>
    public const string ClipFraction = "clip_fraction";

    /// <summary>Mean importance weight q(y_t)/p̃(y_t).</summary>
    public const string ImportanceWeight = "importance_weight";

    /// <summary>Mean response length in tokens.</summary>
    public const string ResponseLength = "response_length";

    /// <summary>Seconds of the step's rollout spent blocked on the teacher.</summary>
    public const string TeacherWait = "teacher_wait_s";

    /// <summary>Learning rate of the step's first update.</summary>
    public const string LearningRate = "lr";
}
