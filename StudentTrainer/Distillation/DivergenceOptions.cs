namespace Distill.StudentTrainer.Distillation;

/// <summary>Parameters of the divergences.</summary>
/// <param name="Temperature">τ &gt; 0: the student's log-probs are log_softmax(logits / τ); the teacher's come at τ already.</param>
/// <param name="Alpha">Skew α ∈ [0, 1] of skl and srkl (DistiLLM default 0.1).</param>
/// <param name="Beta">Mixture weight β ∈ [0, 1] of the teacher in js.</param>
/// <param name="Mu">Head threshold μ ∈ [0, 1] of akl on the teacher's cumulative probability (AKL default 0.5).</param>
public sealed record DivergenceOptions(double Temperature = 1.0, double Alpha = 0.1, double Beta = 0.5, double Mu = 0.5)
{
    public void Validate()
    {
        if (!(Temperature > 0) || double.IsInfinity(Temperature))
            throw new ArgumentException($"temperature must be a finite number > 0, got {Temperature}");
        CheckUnitInterval(Alpha, "alpha");
        CheckUnitInterval(Beta, "beta");
        CheckUnitInterval(Mu, "mu");
    }

    private static void CheckUnitInterval(double value, string name)
    {
        if (!(value >= 0 && value <= 1)) throw new ArgumentException($"{name} must be in [0, 1], got {value}");
    }
}
