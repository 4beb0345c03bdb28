using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Distillation;

/// <summary>
/// τ, α, β and μ are checked by the divergence API itself: a value outside its range, including those at which a
/// divergence stops depending on the student, is refused by every kind, naming the parameter and the range.
/// </summary>
public class DivergenceOptionRangeTests
{
    public static TheoryData<string, double, string> OutOfRange() => new()
    {
        { nameof(DivergenceOptions.Temperature), 0.0, "> 0" },
        { nameof(DivergenceOptions.Temperature), -1.0, "> 0" },
        { nameof(DivergenceOptions.Temperature), double.NaN, "> 0" },
        { nameof(DivergenceOptions.Temperature), double.PositiveInfinity, "> 0" },
        { nameof(DivergenceOptions.Alpha), 1.0, "[0, 1)" },
        { nameof(DivergenceOptions.Alpha), -0.1, "[0, 1)" },
        { nameof(DivergenceOptions.Alpha), 1.5, "[0, 1)" },
        { nameof(DivergenceOptions.Alpha), double.NaN, "[0, 1)" },
        { nameof(DivergenceOptions.Beta), 0.0, "(0, 1)" },
        { nameof(DivergenceOptions.Beta), 1.0, "(0, 1)" },
        { nameof(DivergenceOptions.Beta), -0.5, "(0, 1)" },
        { nameof(DivergenceOptions.Beta), double.NaN, "(0, 1)" },
        { nameof(DivergenceOptions.Mu), -0.01, "[0, 1]" },
        { nameof(DivergenceOptions.Mu), 1.01, "[0, 1]" },
        { nameof(DivergenceOptions.Mu), double.NaN, "[0, 1]" },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void A_value_outside_its_range_is_refused_by_every_kind_naming_parameter_and_range(string parameter, double value, string range)
    {
        using var scope = NewDisposeScope();
        var data = TopKCase.Random(seed: 100, batch: 1, time: 2, vocab: 5, k: 2);
        DivergenceOptions options = With(parameter, value);
        foreach (DivergenceKind kind in Enum.GetValues<DivergenceKind>())
        {
            var perPosition = Assert.Throws<ArgumentOutOfRangeException>(() => data.PerPosition(kind, ScalarType.Float32, options));
            var masked = Assert.Throws<ArgumentOutOfRangeException>(() => data.Compute(kind, ScalarType.Float32, options));
            foreach (ArgumentOutOfRangeException error in new[] { perPosition, masked })
            {
                Assert.Equal(parameter, error.ParamName);
                Assert.Contains(range, error.Message);
                Assert.DoesNotContain('\n', error.Message);
            }
        }
    }

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void The_trainer_options_refuse_the_same_values_through_the_same_check(string parameter, double value, string range)
    {
        var options = new DistillOptions { Student = Gpt2Config.Student };
        options = parameter switch
        {
            nameof(DivergenceOptions.Temperature) => options with { Temperature = value },
            nameof(DivergenceOptions.Alpha) => options with { Alpha = value },
            nameof(DivergenceOptions.Beta) => options with { Beta = value },
            _ => options with { Mu = value },
        };
        var error = Assert.ThrowsAny<ArgumentException>(options.Validate);
        Assert.Contains(parameter == nameof(DivergenceOptions.Temperature) ? "temperature" : range, error.Message);
    }

    [Fact]
    public void At_alpha_0_the_skew_divergences_are_the_plain_ones()
    {
        using var scope = NewDisposeScope();
        var data = TopKCase.Random(seed: 101, batch: 2, time: 2, vocab: 9, k: 4);
        var options = new DivergenceOptions(Alpha: 0);
        DivergenceTestData.AllClose(data.PerPosition(DivergenceKind.Fkl, ScalarType.Float64, options),
                                    data.PerPosition(DivergenceKind.Skl, ScalarType.Float64, options), ScalarType.Float64);
        DivergenceTestData.AllClose(data.PerPosition(DivergenceKind.Rkl, ScalarType.Float64, options),
                                    data.PerPosition(DivergenceKind.Srkl, ScalarType.Float64, options), ScalarType.Float64);
    }

    [Theory]
    [InlineData(nameof(DivergenceOptions.Alpha), 0.0)]
    [InlineData(nameof(DivergenceOptions.Alpha), 0.999999)]
    [InlineData(nameof(DivergenceOptions.Beta), 1e-6)]
    [InlineData(nameof(DivergenceOptions.Beta), 0.999999)]
    [InlineData(nameof(DivergenceOptions.Mu), 0.0)]
    [InlineData(nameof(DivergenceOptions.Mu), 1.0)]
    [InlineData(nameof(DivergenceOptions.Temperature), 1e-4)]
    public void Values_at_the_edges_of_the_ranges_are_accepted_and_give_finite_positive_losses(string parameter, double value)
    {
        using var scope = NewDisposeScope();
        var data = TopKCase.Random(seed: 102, batch: 2, time: 2, vocab: 9, k: 4);
        DivergenceOptions options = With(parameter, value);
        foreach (DivergenceKind kind in Enum.GetValues<DivergenceKind>())
        {
            double[] values = data.PerPosition(kind, ScalarType.Float64, options);
            Assert.All(values, v => Assert.True(double.IsFinite(v) && v > 0, $"{kind} with {options}: {v:R}"));
        }
    }

    private static DivergenceOptions With(string parameter, double value) => parameter switch
    {
        nameof(DivergenceOptions.Temperature) => new DivergenceOptions(Temperature: value),
        nameof(DivergenceOptions.Alpha) => new DivergenceOptions(Alpha: value),
        nameof(DivergenceOptions.Beta) => new DivergenceOptions(Beta: value),
        nameof(DivergenceOptions.Mu) => new DivergenceOptions(Mu: value),
        _ => throw new ArgumentOutOfRangeException(nameof(parameter), parameter, "not a divergence option"),
    };
}
