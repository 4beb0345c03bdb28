namespace Distill.StudentTrainer.Schemes;

/// <summary>
/// How DistiLLM's generation probability s follows the adaptive threshold τ over training (<c>--replay-ratio</c>);
/// the rest of τ goes to replay once the buffer is full.
/// </summary>
public enum ReplayRatio
{
    /// <summary>s = τ·(1 − step/total): generate fresh samples early, replay more later. DistiLLM's default.</summary>
    Decreasing,

    /// <summary>s = τ·0.5.</summary>
    Constant,

    /// <summary>s = τ·step/total.</summary>
    Increasing,
}
