namespace Distill.StudentTrainer.Schemes;

/// <summary>
/// DistiLLM's adaptive choice of training data (docs/papers.md). The threshold τ is the probability of training on student
/// samples, fresh or replayed. It starts at <see cref="DistillmOptions.InitThreshold"/>; the first validation loss
/// observed (the one before training) becomes the reference, and whenever a later one is at least ε above the
/// reference, τ rises by a step (capped) and that loss becomes the reference. A loss that does not rise that far
/// leaves both unchanged, so the reference only ever moves up: DistiLLM's training loop updates it inside the rise,
/// and nowhere else.
/// </summary>
public sealed class DistillmSchedule
{
    private readonly DistillmOptions _options;

    public DistillmSchedule(DistillmOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        Threshold = options.InitThreshold;
    }

    /// <summary>A schedule resumed from <paramref name="state"/>.</summary>
    public DistillmSchedule(DistillmOptions options, DistillmScheduleState state) : this(options)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!(state.Threshold >= 0 && state.Threshold <= options.MaxThreshold))
            throw new ArgumentException($"the saved threshold must be in [0, {options.MaxThreshold}], got {state.Threshold}", nameof(state));
        if (state.ReferenceLoss is { } reference && !double.IsFinite(reference))
            throw new ArgumentException($"the saved reference loss must be finite, got {reference}", nameof(state));
        Threshold = state.Threshold;
        ReferenceLoss = state.ReferenceLoss;
    }

    /// <summary>τ: the probability of a step training on student samples (generated or replayed).</summary>
    public double Threshold { get; private set; }

    /// <summary>The validation loss τ's next rise is measured from; null before the first observation.</summary>
    public double? ReferenceLoss { get; private set; }

    public DistillmScheduleState State => new(Threshold, ReferenceLoss);

    /// <summary>
    /// Feeds one evaluation's validation loss: the first call (the loss before training) sets the reference; later,
    /// a loss ≥ reference + ε raises τ by a step, capped, and becomes the reference.
    /// </summary>
    /// <returns>Whether τ rose.</returns>
    public bool ObserveValidationLoss(double loss)
    {
        if (!double.IsFinite(loss)) throw new ArgumentException($"the validation loss must be finite, got {loss}", nameof(loss));
        if (ReferenceLoss is not { } reference)
        {
            ReferenceLoss = loss;
            return false;
        }
        if (!(loss >= reference + _options.LossEpsilon)) return false;
        Threshold = Math.Min(Threshold + _options.ThresholdStep, _options.MaxThreshold);
        ReferenceLoss = loss;
        return true;
    }

    /// <summary>
    /// s, the probability of generating fresh student samples at <paramref name="step"/> of
    /// <paramref name="totalSteps"/>, by <see cref="DistillmOptions.ReplayRatio"/>. DistiLLM numbers its steps from 1,
    /// so its last step has s = 0 under <see cref="ReplayRatio.Decreasing"/>.
    /// </summary>
    public double GenerationProbability(int step, int totalSteps)
    {
        if (totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "the total number of steps must be ≥ 1");
        if (step < 0 || step > totalSteps)
            throw new ArgumentOutOfRangeException(nameof(step), step, $"the step must be in [0, {totalSteps}]");
        double progress = (double)step / totalSteps;
        return _options.ReplayRatio switch
        {
            ReplayRatio.Decreasing => Threshold * (1 - progress),
            ReplayRatio.Constant => Threshold * 0.5,
            ReplayRatio.Increasing => Threshold * progress,
            _ => throw new InvalidOperationException($"unknown replay ratio {_options.ReplayRatio}"),
        };
    }

    /// <summary>
    /// The source of one step's batch from a uniform draw <paramref name="r"/> ∈ [0, 1): r &lt; s, or r &lt; τ while the
    /// buffer is not yet full → <see cref="BatchSource.Generate"/> (the caller pushes the samples into the buffer);
    /// else r &lt; τ → <see cref="BatchSource.Replay"/> (only ever with a full buffer); else <see cref="BatchSource.Gold"/>.
    /// </summary>
    public BatchSource Decide(int step, int totalSteps, double r, bool bufferFull)
    {
        if (!(r >= 0 && r < 1)) throw new ArgumentOutOfRangeException(nameof(r), r, "the uniform draw must be in [0, 1)");
        double s = GenerationProbability(step, totalSteps);
        if (r < s || (r < Threshold && !bufferFull)) return BatchSource.Generate;
        return r < Threshold ? BatchSource.Replay : BatchSource.Gold;
    }

    /// <summary>Draws r from <paramref name="rng"/> (one <see cref="Random.NextDouble"/>) and decides as above.</summary>
    public BatchSource Decide(int step, int totalSteps, Random rng, bool bufferFull)
    {
        ArgumentNullException.ThrowIfNull(rng);
        return Decide(step, totalSteps, rng.NextDouble(), bufferFull);
    }
}
