using Distill.Bench.Quality;

namespace Distill.Bench.Tests.Quality;

public sealed class QualityCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("distill-quality-command-").FullName;
    private readonly StringWriter _output = new();
    private readonly StringWriter _error = new();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Report => Path.Combine(_folder, QualityReport.FileName);
    private string Chart => Path.Combine(_folder, QualityChart.FileName);
    private QualityStore Store => new(Path.Combine(_folder, QualityStore.FileName));

    private Task<int> Run(IQualityRunner runner, params string[] args) =>
        QualityCommand.RunAsync([.. args, "--results", _folder], runner, _output, _error, CancellationToken.None);

    [Fact]
    public async Task Runs_the_missing_pairs_and_writes_report_and_chart_from_every_stored_run()
    {
        Store.Append(Runs.Make("kd", 1, perplexity: 42));
        var runner = new FakeQualityRunner();

        int exit = await Run(runner, "--methods", "kd,gkd", "--seeds", "1,2");

        Assert.Equal(0, exit);
        Assert.Equal([new("gkd", 1), new("kd", 2), new("gkd", 2)], runner.Calls);
        Assert.Equal(4, Store.ReadAll().Runs.Count);
        string report = File.ReadAllText(Report);
        Assert.Contains(runner.Setup, report);
        Assert.Equal("2", Runs.Row(report, "kd")[1]);
        Assert.Equal("2", Runs.Row(report, "gkd")[1]);
        Assert.Equal(QualityTable.NotRun, Runs.Row(report, "sft")[3]);
        Assert.True(new FileInfo(Chart).Length > 0);
        Assert.Equal("", _error.ToString());
    }

    [Fact]
    public async Task A_second_run_runs_nothing_unless_forced()
    {
        var runner = new FakeQualityRunner();
        Assert.Equal(0, await Run(runner, "--methods", "rkl", "--seeds", "5"));
        Assert.Equal(0, await Run(runner, "--methods", "rkl", "--seeds", "5"));
        Assert.Single(runner.Calls);

        Assert.Equal(0, await Run(runner, "--methods", "rkl", "--seeds", "5", "--force"));
        Assert.Equal(2, runner.Calls.Count);
        Assert.Equal(2, Store.ReadAll().Runs.Count);
        Assert.Equal("1", Runs.Row(File.ReadAllText(Report), "rkl")[1]);
    }

    [Fact]
    public async Task Dry_run_prints_the_pairs_and_runs_nothing()
    {
        Store.Append(Runs.Make("kd", 1));
        var runner = new FakeQualityRunner();

        int exit = await Run(runner, "--methods", "kd,tvd", "--seeds", "1", "--dry-run");

        Assert.Equal(0, exit);
        Assert.Empty(runner.Calls);
        Assert.Contains("would run tvd seed 1", _output.ToString());
        Assert.DoesNotContain("would run kd", _output.ToString());
        Assert.False(File.Exists(Report));
    }

    [Fact]
    public async Task Unknown_method_is_one_error_line_and_exit_code_1()
    {
        var runner = new FakeQualityRunner();

        int exit = await Run(runner, "--methods", "kd,bogus");

        Assert.Equal(1, exit);
        Assert.Empty(runner.Calls);
        string error = Assert.Single(_error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", error);
        Assert.Contains("bogus", error);
    }

    [Fact]
    public async Task Bad_seed_is_one_error_line_and_exit_code_1()
    {
        int exit = await Run(new FakeQualityRunner(), "--seeds", "1,two");

        Assert.Equal(1, exit);
        Assert.StartsWith("error: ", Assert.Single(_error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public async Task A_failed_run_keeps_the_runs_that_finished_before_it()
    {
        var runner = new FakeQualityRunner { FailOn = new QualityPair("js", 1) };

        int exit = await Run(runner, "--methods", "kd,rkl,js,tvd", "--seeds", "1");

        Assert.Equal(1, exit);
        Assert.Contains("js seed 1 failed", _error.ToString());
        Assert.Equal([new("kd", 1), new("rkl", 1)], Store.ReadAll().Runs.Select(run => run.Pair));
        Assert.Equal("1", Runs.Row(File.ReadAllText(Report), "rkl")[1]);
    }

    [Fact]
    public async Task A_cut_short_store_is_warned_about_and_the_lost_pair_runs_again()
    {
        Store.Append(Runs.Make("kd", 1));
        File.AppendAllText(Store.Path, "{\"method\":\"kd\",\"seed\":2,\"valid");
        var runner = new FakeQualityRunner();

        int exit = await Run(runner, "--methods", "kd", "--seeds", "1,2");

        Assert.Equal(0, exit);
        Assert.StartsWith("warning: ", _error.ToString());
        Assert.Equal([new("kd", 2)], runner.Calls);
        Assert.Equal(2, Store.ReadAll().Runs.Count);
    }

    [Fact]
    public async Task A_runner_answering_for_another_pair_is_an_error()
    {
        int exit = await Run(new WrongPairRunner(), "--methods", "kd", "--seeds", "1");

        Assert.Equal(1, exit);
        Assert.Contains("answered for sft seed 1", _error.ToString());
        Assert.Empty(Store.ReadAll().Runs);
    }

    [Fact]
    public async Task A_store_of_another_budget_is_refused_and_left_as_it_is()
    {
        Store.Append(Runs.Make("kd", 1, budget: "100 steps of 16 pairs"));
        string before = File.ReadAllText(Store.Path);
        var runner = new FakeQualityRunner();

        int exit = await Run(runner, "--methods", "kd", "--seeds", "1,2");

        Assert.Equal(1, exit);
        Assert.Empty(runner.Calls);
        string error = Assert.Single(_error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("100 steps of 16 pairs", error);
        Assert.Contains(FakeQualityRunner.BudgetKey, error);
        Assert.Equal(before, File.ReadAllText(Store.Path));
    }

    [Fact]
    public async Task Runs_stored_before_budgets_were_recorded_are_accepted()
    {
        Store.Append(Runs.Make("kd", 1, budget: null));
        var runner = new FakeQualityRunner();

        Assert.Equal(0, await Run(runner, "--methods", "kd", "--seeds", "1,2"));
        Assert.Equal([new("kd", 2)], runner.Calls);
    }

    private sealed class WrongPairRunner : IQualityRunner
    {
        public string Setup => "";

        public string Budget => FakeQualityRunner.BudgetKey;

        public Task<QualityResult> RunAsync(string method, int seed, CancellationToken ct) => Task.FromResult(Runs.Make("sft", seed));
    }
}
