using Distill.StudentTrainer.Distillation;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Distillation;

/// <summary>The teacher's tail 1 − Σ p_K stays accurate for a peaked teacher, also from float32 inputs.</summary>
public class TeacherTailTests
{
    public static TheoryData<DivergenceKind> Kinds() => DivergenceTestData.Kinds();

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Peaked_teacher_tail_is_kept_in_float32(DivergenceKind kind)
    {
        using var scope = NewDisposeScope();
        // k = 3 of V = 8: top-1 holds 1 − 3e-9, two ids 1e-9 each, the five others 2e-10 each (tail 1e-9).
        double[] teacher = [double.LogP1(-3e-9), Math.Log(1e-9), Math.Log(1e-9), .. Enumerable.Repeat(Math.Log(2e-10), 5)];
        var random = new Random(80);
        double[] logits = TopKCase.Normals(random, 16, 1.0);
        var data = TopKCase.FromTeacher(1, 2, 3, [teacher, teacher], logits, [true, true]).RoundedToFloat32();

        float naiveTail = 1f - data.TeacherLogProbsAt(0).Sum(lp => MathF.Exp((float)lp));
        Assert.True(Math.Abs(naiveTail - 1e-9) > 0.5e-9, $"float32 1 − Σ p_K = {naiveTail} is not a trap here");

        double[] expected = data.Reference(kind, DivergenceTestData.Unusual);
        double[] float32 = data.PerPosition(kind, ScalarType.Float32, DivergenceTestData.Unusual);
        double[] float64 = data.PerPosition(kind, ScalarType.Float64, DivergenceTestData.Unusual);
        DivergenceTestData.AllClose(expected, float64, ScalarType.Float64);
        DivergenceTestData.AllClose(expected, float32, ScalarType.Float32);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Teacher_mass_rounding_above_1_gives_a_zero_tail(DivergenceKind kind)
    {
        using var scope = NewDisposeScope();
        // As a float32 log_softmax of a peaked teacher returns it: the top-1 exactly 0, so Σ p_K = 1 + 2e-8.
        double[] teacherLogProbs = [0, (float)Math.Log(1e-8), (float)Math.Log(1e-8)];
        var data = new TopKCase(1, 1, 9, 3, TopKCase.Normals(new Random(81), 9, 1.0).Select(x => (double)(float)x).ToArray(),
                                [4, 0, 7], teacherLogProbs, [true]);
        foreach (ScalarType dtype in new[] { ScalarType.Float32, ScalarType.Float64 })
        {
            Tensor logits = data.LogitsTensor(dtype, requiresGrad: true);
            Tensor loss = data.Compute(kind, dtype, DivergenceTestData.Unusual, logits);
            loss.backward();
            double value = loss.to_type(ScalarType.Float64).item<double>();
            double expected = data.ReferenceMaskedMean(kind, DivergenceTestData.Unusual);
            DivergenceTestData.Close(expected, value, dtype, dtype.ToString());
            Assert.All(TopKCase.Values(logits.grad!), g => Assert.True(double.IsFinite(g)));
        }
    }
}
