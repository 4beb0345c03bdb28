using Distill.StudentTrainer.Distillation;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Distillation;

public class DivergenceInputTests
{
    [Fact]
    public void Names_round_trip_case_insensitively()
    {
        foreach (DivergenceKind kind in Enum.GetValues<DivergenceKind>())
        {
            string name = DivergenceKindNames.ToName(kind);
            Assert.Equal(kind, DivergenceKindNames.Parse(name));
            Assert.Equal(kind, DivergenceKindNames.Parse(name.ToUpperInvariant()));
        }
        Assert.Equal(["fkl", "rkl", "js", "tvd", "skl", "srkl", "akl"], DivergenceKindNames.All);
    }

    [Theory]
    [InlineData("kl")]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("fkl,rkl")]
    public void Unknown_name_lists_the_valid_ones(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => DivergenceKindNames.Parse(name));
        Assert.Contains("fkl, rkl, js, tvd, skl, srkl, akl", error.Message);
    }

    public static TheoryData<string, long[], ScalarType, long[], ScalarType, long[], ScalarType, long[], ScalarType> BadInputs() => new()
    {
        { "student logits", [2, 3], ScalarType.Float32, [2, 3, 2], ScalarType.Int64, [2, 3, 2], ScalarType.Float32, [2, 3], ScalarType.Bool },
        { "student logits", [2, 3, 5], ScalarType.Int64, [2, 3, 2], ScalarType.Int64, [2, 3, 2], ScalarType.Float32, [2, 3], ScalarType.Bool },
        { "teacher ids", [2, 3, 5], ScalarType.Float32, [2, 3, 2], ScalarType.Int32, [2, 3, 2], ScalarType.Float32, [2, 3], ScalarType.Bool },
        { "k must be in [1, V = 5]", [2, 3, 5], ScalarType.Float32, [2, 3, 6], ScalarType.Int64, [2, 3, 6], ScalarType.Float32, [2, 3], ScalarType.Bool },
        { "k must be in [1, V = 5]", [2, 3, 5], ScalarType.Float32, [2, 3, 0], ScalarType.Int64, [2, 3, 0], ScalarType.Float32, [2, 3], ScalarType.Bool },
        { "differ in batch or time", [2, 3, 5], ScalarType.Float32, [2, 4, 2], ScalarType.Int64, [2, 4, 2], ScalarType.Float32, [2, 3], ScalarType.Bool },
        { "teacher log-probs", [2, 3, 5], ScalarType.Float32, [2, 3, 2], ScalarType.Int64, [2, 3, 3], ScalarType.Float32, [2, 3], ScalarType.Bool },
        { "teacher log-probs", [2, 3, 5], ScalarType.Float32, [2, 3, 2], ScalarType.Int64, [2, 3, 2], ScalarType.Int64, [2, 3], ScalarType.Bool },
        { "mask", [2, 3, 5], ScalarType.Float32, [2, 3, 2], ScalarType.Int64, [2, 3, 2], ScalarType.Float32, [2, 3], ScalarType.Int64 },
        { "mask", [2, 3, 5], ScalarType.Float32, [2, 3, 2], ScalarType.Int64, [2, 3, 2], ScalarType.Float32, [3, 2], ScalarType.Bool },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void Bad_shapes_and_dtypes_are_rejected_by_name(string message, long[] logitsShape, ScalarType logitsType,
        long[] idsShape, ScalarType idsType, long[] teacherShape, ScalarType teacherType, long[] maskShape, ScalarType maskType)
    {
        using var scope = NewDisposeScope();
        Tensor logits = zeros(logitsShape, logitsType), ids = zeros(idsShape, idsType);
        Tensor teacher = zeros(teacherShape, teacherType), mask = zeros(maskShape, maskType);
        var error = Assert.Throws<ArgumentException>(() => Divergences.Compute(DivergenceKind.Fkl, logits, ids, teacher, mask, new()));
        Assert.Contains(message, error.Message);
    }
}
