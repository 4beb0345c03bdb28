namespace Distill.StudentTrainer.Schemes;

/// <summary>
/// GKD's mix of data: each batch is made of responses sampled from the student with probability λ (the student data
/// fraction), else of the gold responses. λ = 0 is supervised KD on gold data, λ = 1 fully on-policy.
/// </summary>
public sealed class OnPolicyMixer
{
    public OnPolicyMixer(double studentFraction)
    {
        if (!(studentFraction >= 0 && studentFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(studentFraction), studentFraction, "the student data fraction λ must be in [0, 1]");
        StudentFraction = studentFraction;
    }

    /// <summary>λ, the probability of a batch of student samples.</summary>
    public double StudentFraction { get; }

    /// <summary><see cref="BatchSource.Generate"/> when the uniform draw <paramref name="r"/> ∈ [0, 1) is below λ, else <see cref="BatchSource.Gold"/>.</summary>
    public BatchSource Decide(double r)
    {
        if (!(r >= 0 && r < 1)) throw new ArgumentOutOfRangeException(nameof(r), r, "the uniform draw must be in [0, 1)");
        return r < StudentFraction ? BatchSource.Generate : BatchSource.Gold;
    }

    /// <summary>Draws r from <paramref name="rng"/> (one <see cref="Random.NextDouble"/>) and decides.</summary>
    public BatchSource Decide(Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        return Decide(rng.NextDouble());
    }
}
