using Distill.Bench.Quality;

namespace Distill.Bench.Tests.Quality;

public sealed class QualityArgsTests
{
    [Fact]
    public void Defaults_are_every_method_with_three_seeds()
    {
        QualityArgs args = QualityArgs.Parse([]);

        Assert.Equal(QualityMethods.Names, args.Methods);
        Assert.Equal([1, 2, 3], args.Seeds);
        Assert.Equal(QualityArgs.DefaultResultsFolder, args.ResultsFolder);
        Assert.False(args.Force);
        Assert.False(args.DryRun);
    }

    [Fact]
    public void Reads_lists_and_switches()
    {
        QualityArgs args = QualityArgs.Parse(["--dry-run", "--methods", "distillm, kd", "--force", "--seeds", "7,3"]);

        Assert.Equal(["distillm", "kd"], args.Methods);
        Assert.Equal([7, 3], args.Seeds);
        Assert.True(args.Force);
        Assert.True(args.DryRun);
    }

    [Theory]
    [InlineData("--methods", "kd,fkl", "fkl")]
    [InlineData("--methods", "kd,,rkl", "empty")]
    [InlineData("--methods", "kd,kd", "twice")]
    [InlineData("--seeds", "1,x", "'x'")]
    [InlineData("--seeds", "1,-2", "'-2'")]
    [InlineData("--seeds", "1,01", "twice")]
    [InlineData("--steps", "3", "--steps")]
    public void Bad_flags_are_explained(string flag, string value, string mentioned)
    {
        var error = Assert.Throws<ArgumentException>(() => QualityArgs.Parse([flag, value]));
        Assert.Contains(mentioned, error.Message);
    }
}
