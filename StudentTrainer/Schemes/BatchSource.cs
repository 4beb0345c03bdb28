namespace Distill.StudentTrainer.Schemes;

/// <summary>Where the sequences of one training batch come from, as the on-policy schemes decide per step.</summary>
public enum BatchSource
{
    /// <summary>The dataset's gold responses.</summary>
    Gold,

    /// <summary>Responses sampled from the current student for the batch's prompts.</summary>
    Generate,

    /// <summary>Earlier student samples drawn from the replay buffer (DistiLLM).</summary>
    Replay,
}
