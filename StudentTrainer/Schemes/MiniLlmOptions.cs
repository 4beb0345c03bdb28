namespace Distill.StudentTrainer.Schemes;

/// <summary>
/// MiniLLM's policy-gradient distillation. Defaults from docs/papers.md, read from microsoft/LMOps <c>minillm/arguments.py</c>
/// and the paper's training scripts (which switch on the three stabilisers).
/// </summary>
public sealed record MiniLlmOptions
{
    /// <summary>α of the teacher-mixed sampling distribution p̃ = α·p + (1 − α)·q (<c>--teacher-mixed-alpha</c>, 0.2 in the paper's scripts); 0 samples from the student alone.</summary>
    public double TeacherMixAlpha { get; init; } = 0.2;

    /// <summary>PPO's ratio clip ε: the ratio is clipped to [1 − ε, 1 + ε] (<c>--cliprange</c> 0.2).</summary>
    public double PpoClip { get; init; } = 0.2;

    /// <summary>Rewards are divided by this before clipping (<c>--reward-scaling</c>, unset by default); null: not scaled.</summary>
    public double? RewardScaling { get; init; }

    /// <summary>Per-token rewards are clipped to ±this (<c>--cliprange-reward</c> 1); null: not clipped.</summary>
    public double? RewardClip { get; init; } = 1.0;

    /// <summary>Discount γ of the long-horizon return (<c>--gamma</c> 0.95).</summary>
    public double Gamma { get; init; } = 0.95;

    /// <summary>Divide each return by the number of response tokens it sums over (<c>--length-norm</c>, on in the paper's scripts).</summary>
    public bool LengthNormalise { get; init; } = true;

    /// <summary>Add the single-step term KL(q_t ‖ p_t) to the loss (<c>--single-step-reg</c>, on in the paper's scripts).</summary>
    public bool SingleStepRegularisation { get; init; } = true;

    /// <summary>
    /// Whether the return at t also sums r_t. False: the later rewards only, the paper's R_{t+1}, since the
    /// single-step term already carries r_t's expectation exactly. LMOps's code sums from r_t.
    /// </summary>
    public bool ReturnsIncludeCurrentReward { get; init; }

    /// <summary>
    /// Whiten the returns over the batch's response tokens before the PPO loss (LMOps's code does; the paper does not say).
    /// </summary>
    public bool WhitenAdvantages { get; init; } = true;

    /// <summary>Weight of the language-modelling loss on pretraining-style data (<c>--lm-coef</c> 1).</summary>
    public double LmCoefficient { get; init; } = 1.0;

    public void Validate()
    {
        if (!(TeacherMixAlpha >= 0 && TeacherMixAlpha < 1))
            throw new ArgumentException($"--teacher-mix (the teacher-mixed alpha) must be in [0, 1), got {TeacherMixAlpha} (at 1 the student never samples)");
        if (!(PpoClip > 0) || double.IsInfinity(PpoClip))
            throw new ArgumentException($"the PPO clip must be a finite number > 0, got {PpoClip}");
        if (RewardScaling is { } scaling && (!(scaling > 0) || double.IsInfinity(scaling)))
            throw new ArgumentException($"the reward scaling must be a finite number > 0, got {scaling}");
        if (RewardClip is { } clip && !(clip > 0))
            throw new ArgumentException($"the reward clip must be > 0, got {clip}");
        if (!(Gamma >= 0 && Gamma <= 1))
            throw new ArgumentException($"gamma must be in [0, 1], got {Gamma}");
        if (!(LmCoefficient >= 0) || double.IsInfinity(LmCoefficient))
            throw new ArgumentException($"--lm-coef (the language-modelling coefficient) must be a finite number ≥ 0, got {LmCoefficient}");
    }
}
