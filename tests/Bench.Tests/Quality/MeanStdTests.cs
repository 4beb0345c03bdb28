using Distill.Bench.Quality;

namespace Distill.Bench.Tests.Quality;

public sealed class MeanStdTests
{
    [Fact]
    public void Uses_the_sample_deviation()
    {
        // Mean 5; squared deviations 9 + 1 + 1 + 9 = 20; sample variance 20 / 3.
        MeanStd figure = MeanStd.Of([2.0, 4.0, 6.0, 8.0]);

        Assert.Equal(5.0, figure.Mean, 12);
        Assert.Equal(Math.Sqrt(20.0 / 3), figure.Std, 12);
        Assert.Equal(4, figure.N);
    }

    [Fact]
    public void Deviation_of_one_value_is_undefined()
    {
        MeanStd figure = MeanStd.Of([3.5]);

        Assert.Equal(3.5, figure.Mean);
        Assert.True(double.IsNaN(figure.Std));
    }

    [Fact]
    public void Refuses_no_values() => Assert.Throws<ArgumentException>(() => MeanStd.Of([]));
}
