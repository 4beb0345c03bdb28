using Distill.StudentTrainer.Distillation;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Distillation;

/// <summary>With k &lt; V the divergences compare P = (p_K, p_tail) and Q = (q_K, q_tail) over k+1 outcomes.</summary>
public class TopKOutcomeTests
{
    public static TheoryData<DivergenceKind, ScalarType> KindsAndDtypes() => DivergenceTestData.KindsAndDtypes();

    [Theory]
    [MemberData(nameof(KindsAndDtypes))]
    public void Top_k_teacher_gives_the_k_plus_1_outcome_formula(DivergenceKind kind, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        foreach (int k in new[] { 1, 3, 9 })
        {
            var data = TopKCase.Random(seed: 20 + k, batch: 2, time: 3, vocab: 10, k: k).AsSeenBy(dtype);
            foreach (var options in new[] { new DivergenceOptions(), DivergenceTestData.Unusual })
                DivergenceTestData.AllClose(data.Reference(kind, options), data.PerPosition(kind, dtype, options), dtype);
        }
    }

    [Theory]
    [MemberData(nameof(KindsAndDtypes))]
    public void Student_equal_to_teacher_gives_zero(DivergenceKind kind, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var random = new Random(30);
        double temperature = 1.5;
        double[][] teacher = Enumerable.Range(0, 4).Select(_ => TopKCase.LogSoftmax(TopKCase.Normals(random, 12, 3.0))).ToArray();
        // log_softmax(logits / τ) = teacher exactly when logits = τ · log p: the student's outside-K mass is the teacher's tail.
        double[] logits = teacher.SelectMany(row => row.Select(x => x * temperature)).ToArray();
        foreach (int k in new[] { 12, 5, 1 })
        {
            var data = TopKCase.FromTeacher(2, 2, k, teacher, logits, [true, true, true, true]);
            double[] values = data.PerPosition(kind, dtype, new DivergenceOptions(Temperature: temperature));
            Assert.All(values, value => Assert.True(Math.Abs(value) < (dtype == ScalarType.Float64 ? 1e-12 : 1e-6), $"k = {k}: {value:R}"));
        }
    }

    [Theory]
    [MemberData(nameof(KindsAndDtypes))]
    public void Temperature_divides_the_student_logits(DivergenceKind kind, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var data = TopKCase.Random(seed: 40, batch: 2, time: 2, vocab: 9, k: 4);
        var hot = new DivergenceOptions(Temperature: 2.5);
        Tensor logits = data.LogitsTensor(dtype);
        double atTemperature = data.Compute(kind, dtype, hot, logits).to_type(ScalarType.Float64).item<double>();
        double prescaled = data.Compute(kind, dtype, new DivergenceOptions(), logits / 2.5).to_type(ScalarType.Float64).item<double>();
        double unscaled = data.Compute(kind, dtype, new DivergenceOptions(), logits).to_type(ScalarType.Float64).item<double>();
        DivergenceTestData.Close(prescaled, atTemperature, dtype);
        Assert.True(Math.Abs(atTemperature - unscaled) > 1e-3, $"temperature had no effect: {atTemperature:R}");
    }
}
