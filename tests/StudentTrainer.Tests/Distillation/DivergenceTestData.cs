using Distill.StudentTrainer.Distillation;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Distillation;

internal static class DivergenceTestData
{
    public static readonly DivergenceOptions Unusual = new(Temperature: 1.7, Alpha: 0.3, Beta: 0.2, Mu: 0.6);

    public static TheoryData<DivergenceKind> Kinds() => new(Enum.GetValues<DivergenceKind>());

    public static TheoryData<DivergenceKind, ScalarType> KindsAndDtypes()
    {
        var data = new TheoryData<DivergenceKind, ScalarType>();
        foreach (DivergenceKind kind in Enum.GetValues<DivergenceKind>())
        {
            data.Add(kind, ScalarType.Float64);
            data.Add(kind, ScalarType.Float32);
        }
        return data;
    }

    /// <summary>|expected − actual| within ~1e-10 (float64) or ~1e-5 (float32) of max(1, |expected|); expected must be finite.</summary>
    public static void Close(double expected, double actual, ScalarType dtype, string label = "")
    {
        Assert.True(double.IsFinite(expected), $"{label} expected value {expected} is not finite");
        double tolerance = (dtype == ScalarType.Float64 ? 1e-10 : 1e-5) * Math.Max(1, Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"{label} expected {expected:R}, got {actual:R}");
    }

    /// <summary>The case as a float32 run sees it, so the reference computes on the same numbers.</summary>
    public static TopKCase AsSeenBy(this TopKCase data, ScalarType dtype) => dtype == ScalarType.Float32 ? data.RoundedToFloat32() : data;

    public static void AllClose(double[] expected, double[] actual, ScalarType dtype)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Close(expected[i], actual[i], dtype, $"[{i}]");
    }
}
