using System.Text.Json;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Evaluation;
using Distill.StudentTrainer.Schemes;

namespace Distill.StudentTrainer.Tests.Cli;

/// <summary><c>train --tasks / --mode</c> as a user runs it: prompt → response pairs cut by make-tasks, an auto-started teacher.</summary>
public sealed class PairTrainCommandTests(TrainCommandFixture fixture) : IClassFixture<TrainCommandFixture>
{
    private string NewFolder(string name) => Path.Combine(fixture.Root, "runs", name + "-" + Guid.NewGuid().ToString("N")[..6]);

    private string MakeTasks()
    {
        string tasks = NewFolder("tasks");
        var made = TrainerProcess.Run("make-tasks", "--data", fixture.Data, "--tokenizer", fixture.Tokenizer, "--out", tasks,
            "--train", "40", "--validation", "6", "--test", "4", "--prompt-tokens", "8", "--response-tokens", "8");
        Assert.True(made.ExitCode == 0, made.Stderr);
        return tasks;
    }

    [Fact]
    public void Distillm_on_a_task_folder_runs_end_to_end_with_its_schedule_and_an_sft_baseline()
    {
        string run = NewFolder("distillm");
        var train = TrainerProcess.Run(fixture.TrainArguments(run, "--mode", "distillm", "--tasks", MakeTasks(),
            "--init-threshold", "0.5", "--replay-capacity", "8"));
        Assert.True(train.ExitCode == 0, train.Stderr + train.Stdout);
        Assert.Contains("distillm on 40 pairs", train.Stdout);
        Assert.Contains("batches: gold", train.Stdout);

        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        JsonElement root = summary.RootElement;
        Assert.Equal("distillm", root.GetProperty("mode").GetString());
        Assert.Equal("Srkl", root.GetProperty("options").GetProperty("Divergence").GetString());        // DistiLLM's best by default
        Assert.Equal(12, root.GetProperty("distilled").GetProperty("steps").GetInt32());
        Assert.Equal(12L * 4 * 8, root.GetProperty("distilled").GetProperty("tokens").GetInt64());    // response tokens only
        JsonElement counts = root.GetProperty("batch_sources").GetProperty("counts");
        long[] sources = [counts.GetProperty("gold").GetInt64(), counts.GetProperty("generate").GetInt64(), counts.GetProperty("replay").GetInt64()];
        Assert.Equal(12, sources.Sum());
        Assert.True(sources[1] >= 2, "τ = 0.5 from the start: student samples fill the buffer");
        Assert.True(root.GetProperty("baseline").GetProperty("final").GetProperty(MetricNames.Perplexity).GetDouble() > 1);

        IReadOnlyList<MetricsRecord> records = MetricsLog.ReadAll(run);
        Assert.Equal([0, 6], records.Where(r => r.Kind == SchemeMetricNames.Record).Select(r => (int)r.Step));
        Assert.All(records.Where(r => r.Kind == MetricsRecord.Train), r => Assert.NotNull(r.Get(SchemeMetricNames.Threshold)));
        Assert.True(File.Exists(Path.Combine(TrainingCheckpoint.Locate(run), PairSchemeState.FileName)));
        Assert.True(File.Exists(Path.Combine(run, "export", "distilled-student", "model.onnx")));
    }

    [Theory]
    [InlineData("--mode", "gkd", "unknown --mode 'gkd'")]
    [InlineData("--mode", "minillm", "not wired")]
    [InlineData("--replay-ratio", "sideways", "unknown --replay-ratio 'sideways'")]
    public void A_bad_mode_is_a_one_line_error(string option, string value, string reason)
    {
        string line = TrainerProcess.AssertOneLineError(TrainerProcess.Run(fixture.TrainArguments(NewFolder("bad"), option, value)));
        Assert.Contains(reason, line);
    }

    [Fact]
    public void A_pair_mode_without_a_task_folder_is_a_one_line_error()
    {
        string line = TrainerProcess.AssertOneLineError(TrainerProcess.Run(
            fixture.TrainArguments(NewFolder("no-tasks"), "--mode", "onpolicy", "--tasks", Path.Combine(fixture.Root, "no-such-tasks"))));
        Assert.Contains("no-such-tasks", line);
    }
}
