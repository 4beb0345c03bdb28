using Distill.StudentTrainer.Distillation;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Distillation;

/// <summary>
/// Over random inputs (teachers with zeros, peaked students, α, β, μ at the edges of their ranges now and then) every divergence and its
/// gradient is finite, every divergence ≥ 0, TVD ≤ 1 and JS(β) ≤ the entropy of (β, 1−β).
/// </summary>
public class NonNegativityTests
{
    [Fact]
    public void Divergences_are_bounded_on_random_inputs()
    {
        var random = new Random(90);
        double[] scales = [0.1, 1, 4, 30];
        for (int trial = 0; trial < 60; trial++)
        {
            using var scope = NewDisposeScope();
            int vocab = random.Next(2, 31), k = random.Next(1, vocab + 1);
            var data = RandomCase(random, vocab, k, scales[random.Next(scales.Length)], scales[random.Next(scales.Length)]);
            var options = new DivergenceOptions(
                Temperature: 0.3 + 2.7 * random.NextDouble(), Alpha: InRangeOrAtEdge(random, 0, 1 - 1e-6), Beta: InRangeOrAtEdge(random, 1e-6, 1 - 1e-6),
                Mu: InRangeOrAtEdge(random, 0, 1));
            double jsBound = -XLogX(options.Beta) - XLogX(1 - options.Beta);
            foreach (ScalarType dtype in new[] { ScalarType.Float64, ScalarType.Float32 })
            {
                foreach (DivergenceKind kind in Enum.GetValues<DivergenceKind>())
                {
                    Tensor logits = data.LogitsTensor(dtype, requiresGrad: true);
                    Tensor perPosition = Divergences.PerPosition(kind, logits, data.IdsTensor(), data.TeacherTensor(dtype), options);
                    perPosition.sum().backward();
                    double[] values = TopKCase.Values(perPosition);
                    string where = $"trial {trial}, {kind} {dtype}, V = {vocab}, k = {k}, {options}";
                    Assert.All(TopKCase.Values(logits.grad!), g => Assert.True(double.IsFinite(g), $"{where}: gradient {g}"));
                    Assert.All(values, v => Assert.True(double.IsFinite(v) && v >= -1e-6, $"{where}: {v:R}"));
                    if (kind == DivergenceKind.Tvd) Assert.All(values, v => Assert.True(v <= 1 + 1e-6, $"{where}: {v:R}"));
                    if (kind == DivergenceKind.Js) Assert.All(values, v => Assert.True(v <= jsBound + 1e-6, $"{where}: {v:R}"));
                }
            }
        }
    }

    /// <summary>A teacher with some zero-probability tokens now and then, so −∞ log-probs reach the top-k.</summary>
    private static TopKCase RandomCase(Random random, int vocab, int k, double teacherScale, double studentScale)
    {
        double[][] teacher = new double[4][];
        for (int position = 0; position < teacher.Length; position++)
        {
            double[] logits = TopKCase.Normals(random, vocab, teacherScale);
            for (int i = 1; i < vocab; i++)
            {
                if (random.NextDouble() < 0.15) logits[i] = double.NegativeInfinity;
            }
            teacher[position] = TopKCase.LogSoftmax(logits);
        }
        return TopKCase.FromTeacher(2, 2, k, teacher, TopKCase.Normals(random, 4 * vocab, studentScale), [true, true, true, true]);
    }

    private static double InRangeOrAtEdge(Random random, double low, double high) =>
        random.Next(6) switch { 0 => low, 1 => high, _ => low + (high - low) * random.NextDouble() };

    private static double XLogX(double x) => x == 0 ? 0 : x * Math.Log(x);
}
