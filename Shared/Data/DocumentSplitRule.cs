namespace Distill.Shared.Data;

/// <summary>
/// The split of the document numbered k (from 0, in reading order): u = frac((k + 1) · φ⁻¹), with φ⁻¹ the golden
/// ratio's inverse; u &lt; validation → validation, u &lt; validation + test → test, else train. The values u spread
/// evenly over [0, 1), so every stretch of documents gives each split close to its fraction, and the rule needs
/// nothing but k: the same corpus always splits the same way while it streams.
/// </summary>
public static class DocumentSplitRule
{
    private const double InverseGoldenRatio = 0.6180339887498949;

    /// <summary>The split of document <paramref name="ordinal"/>.</summary>
    public static CorpusSplit SplitOf(long ordinal, SplitFractions fractions)
    {
        double u = Position(ordinal);
        return u < fractions.Validation ? CorpusSplit.Validation
            : u < fractions.Validation + fractions.Test ? CorpusSplit.Test
            : CorpusSplit.Train;
    }

    /// <summary>Whether <paramref name="documents"/> documents give validation and test at least one document each.</summary>
    public static bool FillsEverySplit(long documents, SplitFractions fractions)
    {
        bool validation = false, test = false;
        for (long k = 0; k < documents && !(validation && test); k++)
        {
            CorpusSplit split = SplitOf(k, fractions);
            validation |= split == CorpusSplit.Validation;
            test |= split == CorpusSplit.Test;
        }
        return validation && test;
    }

    private static double Position(long ordinal)
    {
        double x = (ordinal + 1) * InverseGoldenRatio;
        return x - Math.Floor(x);
    }
}
