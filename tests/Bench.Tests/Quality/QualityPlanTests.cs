using Distill.Bench.Quality;

namespace Distill.Bench.Tests.Quality;

public sealed class QualityPlanTests
{
    [Fact]
    public void Runs_the_requested_pairs_not_stored_seed_by_seed()
    {
        IReadOnlyList<QualityPair> pairs = QualityPlan.PairsToRun(["kd", "gkd"], [1, 2],
            [Runs.Make("kd", 1), Runs.Make("sft", 2), Runs.Make("gkd", 3)], force: false);

        Assert.Equal([new("gkd", 1), new("kd", 2), new("gkd", 2)], pairs);
    }

    [Fact]
    public void Force_runs_stored_pairs_again()
    {
        IReadOnlyList<QualityPair> pairs = QualityPlan.PairsToRun(["kd"], [1, 2], [Runs.Make("kd", 1)], force: true);

        Assert.Equal([new("kd", 1), new("kd", 2)], pairs);
    }
}
