using Distill.StudentTrainer.Distillation;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Distillation;

/// <summary>With k = V (the teacher sends its whole distribution) every divergence equals its dense definition.</summary>
public class DenseEquivalenceTests
{
    public static TheoryData<DivergenceKind, ScalarType> KindsAndDtypes() => DivergenceTestData.KindsAndDtypes();

    [Theory]
    [MemberData(nameof(KindsAndDtypes))]
    public void Full_vocabulary_teacher_gives_the_dense_divergence(DivergenceKind kind, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var data = TopKCase.Random(seed: 11, batch: 2, time: 3, vocab: 13, k: 13).AsSeenBy(dtype);
        foreach (var options in new[] { new DivergenceOptions(), DivergenceTestData.Unusual })
        {
            double[] dense = Enumerable.Range(0, data.Positions)
                .Select(position => DivergenceReference.Dense(
                    kind, TeacherInVocabularyOrder(data, position), data.StudentLogitsAt(position), options))
                .ToArray();

            DivergenceTestData.AllClose(dense, data.PerPosition(kind, dtype, options), dtype);
            double mean = data.Compute(kind, dtype, options).to_type(ScalarType.Float64).item<double>();
            DivergenceTestData.Close(dense.Average(), mean, dtype);
        }
    }

    [Theory]
    [MemberData(nameof(KindsAndDtypes))]
    public void Result_has_the_logits_dtype(DivergenceKind kind, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var data = TopKCase.Random(seed: 12, batch: 1, time: 2, vocab: 9, k: 4);
        Tensor logits = data.LogitsTensor(dtype);
        Tensor teacher = data.TeacherTensor(dtype == ScalarType.Float32 ? ScalarType.Float64 : ScalarType.Float32);
        Assert.Equal(dtype, Divergences.Compute(kind, logits, data.IdsTensor(), teacher, data.MaskTensor(), new()).dtype);
        Tensor perPosition = Divergences.PerPosition(kind, logits, data.IdsTensor(), teacher, new());
        Assert.Equal(dtype, perPosition.dtype);
        Assert.Equal(new long[] { 1, 2 }, perPosition.shape);
    }

    private static double[] TeacherInVocabularyOrder(TopKCase data, int position)
    {
        var p = new double[data.Vocab];
        long[] ids = data.IdsAt(position);
        double[] logProbs = data.TeacherLogProbsAt(position);
        for (int j = 0; j < ids.Length; j++) p[ids[j]] = Math.Exp(logProbs[j]);
        return p;
    }
}
