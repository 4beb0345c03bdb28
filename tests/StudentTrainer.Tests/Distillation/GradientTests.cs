using Distill.StudentTrainer.Distillation;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Distillation;

/// <summary>Gradients reach the student logits, stay finite where probabilities are 0, and skip AKL's weights.</summary>
public class GradientTests
{
    private const double Minus = double.NegativeInfinity;

    public static TheoryData<DivergenceKind, ScalarType> KindsAndDtypes() => DivergenceTestData.KindsAndDtypes();

    public static TheoryData<DivergenceKind> Kinds() => DivergenceTestData.Kinds();

    /// <summary>Near one-hot students: ±200 stays representable in the double reference, ±1e4 is only checked for finiteness.</summary>
    public static TheoryData<DivergenceKind, ScalarType, double> KindsDtypesAndSharpness()
    {
        var data = new TheoryData<DivergenceKind, ScalarType, double>();
        foreach (var row in DivergenceTestData.KindsAndDtypes())
        {
            data.Add((DivergenceKind)row[0], (ScalarType)row[1], 200);
            data.Add((DivergenceKind)row[0], (ScalarType)row[1], 1e4);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(KindsDtypesAndSharpness))]
    public void Zero_teacher_probabilities_and_one_hot_students_give_finite_values_and_gradients(DivergenceKind kind, ScalarType dtype, double sharpness)
    {
        using var scope = NewDisposeScope();
        // Teachers over k = 3 of V = 6: one-hot (tail exactly 0), two ids and a −∞ one with a zero tail, and a plain one.
        double[] teacher = [0, Minus, Minus, Math.Log(0.5), Math.Log(0.5), Minus, Math.Log(0.7), Math.Log(0.2), Math.Log(0.05)];
        long[] ids = [2, 0, 5, 1, 3, 4, 0, 1, 2];
        // Students: near one-hot on the teacher's top-1, on an id the teacher gives 0, and outside K.
        double[][] students =
        [
            [-1, -1, 1, -1, -1, -1],
            [-1, 0, -1, -1, 0.5, -1],
            [0, 0, 0, 3, 0, 0],
        ];
        foreach (double[] student in students)
        {
            double[] logits = [.. student, .. student, .. student];
            var data = new TopKCase(1, 3, 6, 3, logits.Select(x => x * sharpness).ToArray(), ids, teacher, [true, true, true]);
            AssertFiniteAndMatchingReference(data.AsSeenBy(dtype), kind, dtype, compareToReference: sharpness <= 200);
        }
    }

    [Theory]
    [MemberData(nameof(KindsDtypesAndSharpness))]
    public void Full_vocabulary_teacher_with_zeros_gives_finite_values_and_gradients(DivergenceKind kind, ScalarType dtype, double sharpness)
    {
        using var scope = NewDisposeScope();
        double[] teacher = [0, Minus, Minus, Minus, Minus, Math.Log(0.6), Math.Log(0.4), Minus, Minus, Minus];
        long[] ids = [3, 0, 1, 2, 4, 1, 0, 2, 3, 4];
        double[] logits = [-sharpness, sharpness, -sharpness, -sharpness, 0, 0.3, -2, 1, 4, 0];
        var data = new TopKCase(1, 2, 5, 5, logits, ids, teacher, [true, true]).AsSeenBy(dtype);
        AssertFiniteAndMatchingReference(data, kind, dtype, compareToReference: sharpness <= 200);
    }

    [Theory]
    [MemberData(nameof(KindsAndDtypes))]
    public void Student_zeros_where_the_teacher_is_zero_give_finite_gradients(DivergenceKind kind, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        // k = 3 of V = 6; the student's −∞ logits sit on a teacher id of probability 0 and outside K.
        double[] teacher = [Math.Log(0.6), Math.Log(0.3), Minus, Math.Log(0.5), Math.Log(0.5), Minus];
        long[] ids = [1, 4, 2, 0, 1, 2];
        double[] logits = [0.3, 1.2, Minus, -0.5, 0.1, Minus, 1.0, -1.0, Minus, 0.4, 0.2, Minus];
        var data = new TopKCase(1, 2, 6, 3, logits, ids, teacher, [true, true]).AsSeenBy(dtype);
        AssertFiniteAndMatchingReference(data, kind, dtype, compareToReference: true);
    }

    [Theory]
    [InlineData(DivergenceKind.Fkl)]
    [InlineData(DivergenceKind.Rkl)]
    [InlineData(DivergenceKind.Js)]
    [InlineData(DivergenceKind.Tvd)]
    [InlineData(DivergenceKind.Skl)]
    [InlineData(DivergenceKind.Srkl)]
    public void Gradient_matches_finite_differences(DivergenceKind kind)
    {
        using var scope = NewDisposeScope();
        var data = TopKCase.Random(seed: 60, batch: 1, time: 2, vocab: 7, k: 3);
        double[] numeric = NumericGradient(data, kind);
        DivergenceTestData.AllClose(numeric, Gradient(data, kind), ScalarType.Float32);
    }

    [Fact]
    public void Akl_weights_carry_no_gradient()
    {
        using var scope = NewDisposeScope();
        var data = TopKCase.Random(seed: 61, batch: 2, time: 2, vocab: 7, k: 3);
        var options = DivergenceTestData.Unusual;
        var headWeights = new double[data.Positions];
        var tailWeights = new double[data.Positions];
        for (int position = 0; position < data.Positions; position++)
        {
            (double[] p, double[] q) = DivergenceReference.Outcomes(
                data.IdsAt(position), data.TeacherLogProbsAt(position), data.StudentLogitsAt(position), options.Temperature);
            (headWeights[position], tailWeights[position]) =
                DivergenceReference.AklWeights(p, q, DivergenceReference.HeadCount(p, data.K, options.Mu));
        }

        Tensor logits = data.LogitsTensor(ScalarType.Float64, requiresGrad: true);
        Tensor forward = Divergences.PerPosition(DivergenceKind.Fkl, logits, data.IdsTensor(), data.TeacherTensor(ScalarType.Float64), options);
        Tensor reverse = Divergences.PerPosition(DivergenceKind.Rkl, logits, data.IdsTensor(), data.TeacherTensor(ScalarType.Float64), options);
        Tensor fixedWeights = tensor(headWeights, [2, 2]) * forward + tensor(tailWeights, [2, 2]) * reverse;
        fixedWeights.mean().backward();
        double[] expected = TopKCase.Values(logits.grad!);

        double[] akl = Gradient(data, DivergenceKind.Akl, options);
        DivergenceTestData.AllClose(expected, akl, ScalarType.Float64);
        double[] throughWeights = NumericGradient(data, DivergenceKind.Akl, options);
        Assert.True(throughWeights.Zip(akl, (a, b) => Math.Abs(a - b)).Max() > 1e-4, "the weights do not depend on the student here");
    }

    private static void AssertFiniteAndMatchingReference(TopKCase data, DivergenceKind kind, ScalarType dtype, bool compareToReference)
    {
        foreach (var options in new[] { new DivergenceOptions(), DivergenceTestData.Unusual })
        {
            Tensor logits = data.LogitsTensor(dtype, requiresGrad: true);
            Tensor loss = data.Compute(kind, dtype, options, logits);
            loss.backward();
            double value = loss.to_type(ScalarType.Float64).item<double>();
            Assert.True(double.IsFinite(value), $"value {value}");
            Assert.All(TopKCase.Values(logits.grad!), g => Assert.True(double.IsFinite(g), $"gradient {g}"));
            if (compareToReference) DivergenceTestData.Close(data.ReferenceMaskedMean(kind, options), value, dtype);
        }
    }

    private static double[] Gradient(TopKCase data, DivergenceKind kind, DivergenceOptions? options = null)
    {
        Tensor logits = data.LogitsTensor(ScalarType.Float64, requiresGrad: true);
        data.Compute(kind, ScalarType.Float64, options ?? DivergenceTestData.Unusual, logits).backward();
        return TopKCase.Values(logits.grad!);
    }

    /// <summary>Central differences of the float64 result in each logit.</summary>
    private static double[] NumericGradient(TopKCase data, DivergenceKind kind, DivergenceOptions? options = null)
    {
        const double step = 1e-6;
        var gradient = new double[data.Logits.Length];
        for (int i = 0; i < gradient.Length; i++)
        {
            double[] up = (double[])data.Logits.Clone(), down = (double[])data.Logits.Clone();
            up[i] += step;
            down[i] -= step;
            double valueUp = (data with { Logits = up }).Compute(kind, ScalarType.Float64, options ?? DivergenceTestData.Unusual).item<double>();
            double valueDown = (data with { Logits = down }).Compute(kind, ScalarType.Float64, options ?? DivergenceTestData.Unusual).item<double>();
            gradient[i] = (valueUp - valueDown) / (2 * step);
        }
        return gradient;
    }
}
