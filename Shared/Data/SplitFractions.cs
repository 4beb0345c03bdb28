namespace Distill.Shared.Data;

/// <summary>The shares of a corpus held out for validation and for test; the rest is train.</summary>
public sealed record SplitFractions(double Validation, double Test)
{
    /// <summary>5 % validation, 5 % test: the shares the chapter rule of <see cref="BookCorpus"/> gives.</summary>
    public static SplitFractions Default { get; } = new(0.05, 0.05);

    /// <summary>The share of train.</summary>
    public double Train => 1 - Validation - Test;

    /// <exception cref="ArgumentException">A fraction is not above 0, or the two leave no train.</exception>
    public void Validate()
    {
        if (!(Validation > 0 && Validation < 1)) throw new ArgumentException($"--validation-fraction must be in (0, 1), got {Validation}");
        if (!(Test > 0 && Test < 1)) throw new ArgumentException($"--test-fraction must be in (0, 1), got {Test}");
        if (!(Validation + Test < 1)) throw new ArgumentException($"--validation-fraction + --test-fraction must be below 1, got {Validation + Test}");
    }
}
