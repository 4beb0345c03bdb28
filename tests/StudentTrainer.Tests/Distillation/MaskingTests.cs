using Distill.StudentTrainer.Distillation;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Distillation;

/// <summary>Compute is the mean over the positions the mask marks true; the others do not count.</summary>
public class MaskingTests
{
    private static readonly bool[] SomeMasked = [true, false, true, true, false, false, true, false];

    public static TheoryData<DivergenceKind, ScalarType> KindsAndDtypes() => DivergenceTestData.KindsAndDtypes();

    [Theory]
    [MemberData(nameof(KindsAndDtypes))]
    public void Result_is_the_mean_over_unmasked_positions(DivergenceKind kind, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var data = (TopKCase.Random(seed: 50, batch: 2, time: 4, vocab: 11, k: 4) with { Mask = SomeMasked }).AsSeenBy(dtype);
        double expected = data.ReferenceMaskedMean(kind, DivergenceTestData.Unusual);
        double actual = data.Compute(kind, dtype, DivergenceTestData.Unusual).to_type(ScalarType.Float64).item<double>();
        DivergenceTestData.Close(expected, actual, dtype);
        Assert.True(Math.Abs(data.Reference(kind, DivergenceTestData.Unusual).Average() - expected) > 1e-6, "the mask made no difference");
    }

    [Theory]
    [MemberData(nameof(KindsAndDtypes))]
    public void Masked_positions_change_neither_the_value_nor_the_gradient(DivergenceKind kind, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var data = TopKCase.Random(seed: 51, batch: 2, time: 4, vocab: 11, k: 4) with { Mask = SomeMasked };
        var other = TopKCase.Random(seed: 52, batch: 2, time: 4, vocab: 11, k: 4, studentScale: 20);
        var changed = data with
        {
            Logits = Blend(data.Logits, other.Logits, data.Vocab, data.Mask),
            Ids = Blend(data.Ids, other.Ids, data.K, data.Mask),
            TeacherLogProbs = Blend(data.TeacherLogProbs, other.TeacherLogProbs, data.K, data.Mask),
        };

        (double value, double[] gradient) = ValueAndGradient(data, kind, dtype);
        (double changedValue, double[] changedGradient) = ValueAndGradient(changed, kind, dtype);

        Assert.Equal(value, changedValue);
        Assert.Equal(gradient, changedGradient);
        for (int position = 0; position < data.Positions; position++)
        {
            if (!data.Mask[position])
                Assert.All(gradient[(position * data.Vocab)..((position + 1) * data.Vocab)], g => Assert.Equal(0.0, g));
        }
    }

    [Theory]
    [MemberData(nameof(KindsAndDtypes))]
    public void All_masked_gives_zero_and_a_zero_gradient(DivergenceKind kind, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var data = TopKCase.Random(seed: 53, batch: 2, time: 2, vocab: 7, k: 3) with { Mask = new bool[4] };
        (double value, double[] gradient) = ValueAndGradient(data, kind, dtype);
        Assert.Equal(0.0, value);
        Assert.All(gradient, g => Assert.Equal(0.0, g));
    }

    private static (double Value, double[] Gradient) ValueAndGradient(TopKCase data, DivergenceKind kind, ScalarType dtype)
    {
        Tensor logits = data.LogitsTensor(dtype, requiresGrad: true);
        Tensor loss = data.Compute(kind, dtype, DivergenceTestData.Unusual, logits);
        loss.backward();
        return (loss.to_type(ScalarType.Float64).item<double>(), TopKCase.Values(logits.grad!));
    }

    /// <summary>Rows of <paramref name="other"/> where the mask is false, of <paramref name="data"/> elsewhere.</summary>
    private static T[] Blend<T>(T[] data, T[] other, int rowLength, bool[] mask) =>
        data.Select((value, i) => mask[i / rowLength] ? value : other[i]).ToArray();
}
