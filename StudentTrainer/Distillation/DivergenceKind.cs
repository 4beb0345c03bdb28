namespace Distill.StudentTrainer.Distillation;

/// <summary>
/// The distillation divergences of docs/losses.md. Each compares the teacher P and the student Q over k+1 outcomes:
/// the teacher's top-k ids and one tail bucket holding every other token.
/// </summary>
public enum DivergenceKind
{
    /// <summary>Forward KL(P‖Q) (classic word-level KD).</summary>
    Fkl,

    /// <summary>Reverse KL(Q‖P).</summary>
    Rkl,

    /// <summary>Generalised Jensen–Shannon with M = βP + (1−β)Q: β·KL(P‖M) + (1−β)·KL(Q‖M).</summary>
    Js,

    /// <summary>Total variation distance ½ Σ |P − Q|.</summary>
    Tvd,

    /// <summary>Skew forward KL(P ‖ αP + (1−α)Q) (DistiLLM).</summary>
    Skl,

    /// <summary>Skew reverse KL(Q ‖ αQ + (1−α)P) (DistiLLM).</summary>
    Srkl,

    /// <summary>Adaptive KL: forward and reverse KL weighted by the student's error on the teacher's head and tail (AKL).</summary>
    Akl,
}
