namespace Distill.StudentTrainer.Distillation;

/// <summary>
/// Parameters of the divergences (docs/losses.md). Each range leaves out the values at which a divergence no longer
/// depends on the student: skl and srkl at α = 1, js at β = 0 or 1 compare a distribution with itself and are 0.
/// </summary>
/// <param name="Temperature">τ &gt; 0, finite: the student's log-probs are log_softmax(logits / τ); the teacher's come at τ already.</param>
/// <param name="Alpha">Skew α ∈ [0, 1) of skl and srkl (DistiLLM default 0.1); at 0 they are fkl and rkl.</param>
/// <param name="Beta">Mixture weight β ∈ (0, 1) of the teacher in js.</param>
/// <param name="Mu">Head threshold μ ∈ [0, 1] of akl on the teacher's cumulative probability (AKL default 0.5); at 0 the head is the top-1 alone.</param>
public sealed record DivergenceOptions(double Temperature = 1.0, double Alpha = 0.1, double Beta = 0.5, double Mu = 0.5)
{
    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming the first parameter outside its range, and the range.</summary>
    public void Validate()
    {
        if (!(Temperature > 0) || double.IsInfinity(Temperature))
            throw OutOfRange(nameof(Temperature), $"the temperature τ must be a finite number > 0, got {Temperature}");
        if (!(Alpha is >= 0 and < 1))
            throw OutOfRange(nameof(Alpha), $"the skew α of skl and srkl must be in [0, 1), got {Alpha} (at α = 1 both are 0 whatever the student)");
        if (!(Beta is > 0 and < 1))
            throw OutOfRange(nameof(Beta), $"the mixture weight β of js must be in (0, 1), got {Beta} (at β = 0 or 1 js is 0 whatever the student)");
        if (!(Mu is >= 0 and <= 1))
            throw OutOfRange(nameof(Mu), $"the head threshold μ of akl must be in [0, 1], got {Mu}");
    }

    // Without the actual value as an argument, so that the message stays on one line (the CLI prints it as it is).
    private static ArgumentOutOfRangeException OutOfRange(string parameter, string message) => new(parameter, message);
}
