using Distill.StudentTrainer.Distillation;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Distillation;

/// <summary>AKL's head: the top-1, plus each further id whose inclusive cumulative teacher probability is ≤ μ.</summary>
public class AdaptiveKlHeadTests
{
    // Teacher over V = 6 sending k = 4: cumulative 0.4, 0.7, 0.9, 0.95; the tail bucket holds 0.05.
    private static readonly TopKCase Case = new(
        1, 1, 6, 4, Logits: [0.5, 1.5, -0.5, 0.2, 1.0, -1.0], Ids: [0, 1, 2, 3],
        TeacherLogProbs: [Math.Log(0.4), Math.Log(0.3), Math.Log(0.2), Math.Log(0.05)], Mask: [true]);

    [Theory]
    [InlineData(0.0, 1)]
    [InlineData(0.7 - 1e-9, 1)]
    [InlineData(0.7 + 1e-9, 2)]
    [InlineData(0.9 - 1e-9, 2)]
    [InlineData(0.9 + 1e-9, 3)]
    [InlineData(1.0, 4)]
    public void Head_holds_the_ids_up_to_cumulative_mu(double mu, int headCount)
    {
        using var scope = NewDisposeScope();
        var options = new DivergenceOptions(Mu: mu);
        double actual = Case.Compute(DivergenceKind.Akl, ScalarType.Float64, options).item<double>();
        Assert.True(Math.Abs(WithHead(headCount) - actual) < 1e-12, $"{WithHead(headCount):R} vs {actual:R}");
        foreach (int otherCount in new[] { headCount - 1, headCount + 1 }.Where(c => c is >= 1 and <= 5))
            Assert.True(Math.Abs(WithHead(otherCount) - actual) > 1e-6, $"head of {otherCount} gives the same value");
    }

    [Fact]
    public void Cumulative_probability_equal_to_mu_is_in_the_head()
    {
        using var scope = NewDisposeScope();
        // μ exactly as float64 accumulates the first two probabilities.
        double mu = Case.TeacherTensor(ScalarType.Float64).exp().cumsum(-1)[0, 0, 1].item<double>();
        double actual = Case.Compute(DivergenceKind.Akl, ScalarType.Float64, new DivergenceOptions(Mu: mu)).item<double>();
        Assert.True(Math.Abs(WithHead(2) - actual) < 1e-12, $"{WithHead(2):R} vs {actual:R}");
    }

    [Theory]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float32)]
    public void Full_vocabulary_teacher_with_mu_1_puts_every_id_in_the_head(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var data = TopKCase.Random(seed: 70, batch: 2, time: 2, vocab: 8, k: 8);
        var options = new DivergenceOptions(Mu: 1.0);
        double[] akl = data.PerPosition(DivergenceKind.Akl, dtype, options);
        double[] forward = data.PerPosition(DivergenceKind.Fkl, dtype, options);
        DivergenceTestData.AllClose(forward, akl, dtype);
    }

    private static double WithHead(int headCount)
    {
        (double[] p, double[] q) = DivergenceReference.Outcomes(Case.Ids, Case.TeacherLogProbs, Case.Logits, temperature: 1.0);
        (double head, double tail) = DivergenceReference.AklWeights(p, q, headCount);
        var options = new DivergenceOptions();
        return head * DivergenceReference.Over(DivergenceKind.Fkl, p, q, Case.K, options)
             + tail * DivergenceReference.Over(DivergenceKind.Rkl, p, q, Case.K, options);
    }
}
