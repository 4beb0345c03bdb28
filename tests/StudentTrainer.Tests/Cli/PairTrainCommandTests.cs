using System.Text.Json;
using Distill.StudentTrainer.Cli;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Evaluation;
using Distill.StudentTrainer.Schemes;

namespace Distill.StudentTrainer.Tests.Cli;

/// <summary><c>train --tasks / --mode</c> as a user runs it: prompt → response pairs cut by make-tasks, an auto-started teacher.</summary>
public sealed class PairTrainCommandTests(TrainCommandFixture fixture) : IClassFixture<TrainCommandFixture>
{
    private string NewFolder(string name) => Path.Combine(fixture.Root, "runs", name + "-" + Guid.NewGuid().ToString("N")[..6]);

    private string MakeTasks() => fixture.MakeTasks(NewFolder("tasks"));

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
        JsonElement counts = root.GetProperty("batch_sources").GetProperty("counts");
        long[] sources = [counts.GetProperty("gold").GetInt64(), counts.GetProperty("generate").GetInt64(), counts.GetProperty("replay").GetInt64()];
        Assert.Equal(12, sources.Sum());
        // response tokens only: 8 per pair of a gold batch, at most 8 per student sample (it may stop at EOS); prompts would add 8 more
        long tokens = root.GetProperty("distilled").GetProperty("tokens").GetInt64();
        if (sources[0] == 12) Assert.Equal(12L * 4 * 8, tokens);
        else Assert.InRange(tokens, sources[0] * 4 * 8, 12L * 4 * 8);
        Assert.True(sources[1] >= 2, "τ = 0.5 from the start: student samples fill the buffer");
        Assert.True(root.GetProperty("baseline").GetProperty("final").GetProperty(MetricNames.Perplexity).GetDouble() > 1);

        IReadOnlyList<MetricsRecord> records = MetricsLog.ReadAll(run);
        Assert.Equal([0, 6], records.Where(r => r.Kind == SchemeMetricNames.Record).Select(r => (int)r.Step));
        Assert.All(records.Where(r => r.Kind == MetricsRecord.Train), r => Assert.NotNull(r.Get(SchemeMetricNames.Threshold)));
        Assert.True(File.Exists(Path.Combine(TrainingCheckpoint.Locate(run), PairSchemeState.FileName)));
        Assert.True(File.Exists(Path.Combine(run, "export", "distilled-student", "model.onnx")));
    }

    [Fact]
    public void Minillm_on_a_task_folder_runs_end_to_end_beside_an_sft_baseline()
    {
        string run = NewFolder("minillm");
        var train = TrainerProcess.Run(fixture.TrainArguments(run, "--mode", "minillm", "--tasks", MakeTasks(), "--steps", "4",
            "--ppo-epochs", "2", "--teacher-mix", "0.3", "--lm-coef", "0.5", "--eval-interval", "2", "--checkpoint-interval", "2"));
        Assert.True(train.ExitCode == 0, train.Stderr + train.Stdout);
        Assert.Contains("minillm on 40 pairs", train.Stdout);
        Assert.Contains("4 rollouts of 4 prompts, 2 PPO epochs each, teacher mix α = 0.3", train.Stdout);
        Assert.Contains("perplexity (held-out pairs)", train.Stdout);

        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        JsonElement root = summary.RootElement;
        Assert.Equal("minillm", root.GetProperty("mode").GetString());
        Assert.Equal(4, root.GetProperty("distilled").GetProperty("steps").GetInt32());
        JsonElement miniLlm = root.GetProperty("minillm");
        Assert.Equal(2, miniLlm.GetProperty("options").GetProperty("PpoEpochs").GetInt32());
        Assert.Equal(0.3, miniLlm.GetProperty("options").GetProperty("MiniLlm").GetProperty("TeacherMixAlpha").GetDouble());
        Assert.Equal(2e-4, miniLlm.GetProperty("options").GetProperty("PeakLearningRate").GetDouble());   // MiniLLM's own default
        Assert.Equal(4L * 2 * 4 * 24, miniLlm.GetProperty("lm_tokens").GetInt64());   // steps × PPO epochs × batch × --seq-len
        long responseTokens = miniLlm.GetProperty("response_tokens").GetInt64();
        Assert.InRange(responseTokens, 1, 4L * 4 * 8);
        Assert.Equal(responseTokens, root.GetProperty("distilled").GetProperty("tokens").GetInt64());
        Assert.True(miniLlm.GetProperty("teacher_requests").GetInt64() > 0);
        Assert.True(root.GetProperty("distilled").GetProperty("final").GetProperty(MetricNames.Perplexity).GetDouble() > 1);
        Assert.Equal(4, root.GetProperty("baseline").GetProperty("steps").GetInt32());
        Assert.True(root.GetProperty("baseline").GetProperty("final").GetProperty(MetricNames.Perplexity).GetDouble() > 1);

        IReadOnlyList<MetricsRecord> records = MetricsLog.ReadAll(run);
        Assert.Equal([0, 2, 4], records.Where(r => r.Kind == MetricsRecord.Eval).Select(r => (int)r.Step));
        MetricsRecord[] steps = records.Where(r => r.Kind == MetricsRecord.Train).ToArray();
        Assert.Equal([1, 2, 3, 4], steps.Select(r => (int)r.Step));
        Assert.All(steps, r => Assert.NotNull(r.Get(MiniLlmMetricNames.Reward)));
        Assert.All(steps, r => Assert.True(r.Get(MiniLlmMetricNames.LmLoss) > 0));
        // Without --init MiniLLM starts from the baseline's seeded weights, and one evaluator measures both.
        MetricsRecord baselineStart = MetricsLog.ReadAll(Path.Combine(run, TrainJob.BaselineFolder)).First(r => r.Kind == MetricsRecord.Eval);
        Assert.Equal(0, baselineStart.Step);
        Assert.Equal(records.First(r => r.Kind == MetricsRecord.Eval).Values, baselineStart.Values);
        MiniLlmTrainingState state = TrainingCheckpoint.ReadState<MiniLlmTrainingState>(TrainingCheckpoint.Locate(run));
        Assert.Equal(4, state.Step);
        Assert.Equal(0.5, state.Options.MiniLlm.LmCoefficient);
        Assert.True(File.Exists(Path.Combine(run, "export", "distilled-student", "model.onnx")));
    }

    [Fact]
    public void Ctrl_c_stops_a_minillm_run_with_a_checkpoint_and_resume_finishes_it_without_repeating_a_step()
    {
        string run = NewFolder("minillm-interrupted");
        const int Steps = 200;
        var interrupted = TrainerProcess.Run(process => TrainerProcess.SignalOnceTraining(process, run),
            fixture.TrainArguments(run, "--mode", "minillm", "--tasks", MakeTasks(), "--steps", $"{Steps}", "--ppo-epochs", "1", "--no-baseline",
                "--eval-pairs", "2", "--rouge-pairs", "0", "--eval-interval", "100000", "--checkpoint-interval", "100000"));
        Assert.True(interrupted.ExitCode == TrainJob.InterruptedExitCode, interrupted.Stderr + interrupted.Stdout);
        Assert.Contains("--resume", interrupted.Stderr);
        int stoppedAt = TrainingCheckpoint.ReadState<MiniLlmTrainingState>(TrainingCheckpoint.Locate(run)).Step;
        Assert.InRange(stoppedAt, 1, Steps - 1);

        var resumed = TrainerProcess.Run("train", "--resume", run, "--models", fixture.Models, "--threads", "1");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr + resumed.Stdout);
        Assert.Contains($"resumed at step {stoppedAt}", resumed.Stdout);
        int[] trainSteps = MetricsLog.ReadAll(run).Where(r => r.Kind == MetricsRecord.Train).Select(r => (int)r.Step).ToArray();
        Assert.Equal(Enumerable.Range(1, Steps), trainSteps);
        Assert.Equal(Steps, TrainingCheckpoint.ReadState<MiniLlmTrainingState>(TrainingCheckpoint.Locate(run)).Step);
    }

    [Fact]
    public void A_pair_run_and_its_baseline_are_evaluated_on_the_held_out_pairs_as_eval_tasks_measures_them()
    {
        string tasks = MakeTasks();
        string run = NewFolder("held-out");
        var train = TrainerProcess.Run(fixture.TrainArguments(run, "--tasks", tasks, "--steps", "6", "--eval-interval", "3",
            "--checkpoint-interval", "3", "--eval-pairs", "3", "--rouge-pairs", "2"));
        Assert.True(train.ExitCode == 0, train.Stderr + train.Stdout);
        Assert.Contains("perplexity (held-out pairs)", train.Stdout);

        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        Assert.StartsWith("3 held-out pairs of", summary.RootElement.GetProperty("evaluated_on").GetString());
        foreach ((string folder, string key) in new[] { (run, "distilled"), (Path.Combine(run, TrainJob.BaselineFolder), "baseline") })
        {
            string json = Path.Combine(fixture.Root, "runs", $"eval-{Guid.NewGuid():N}.json");
            var eval = TrainerProcess.Run("eval", "--checkpoint", folder, "--tasks", Path.Combine(tasks, "test.jsonl"), "--max-pairs", "3",
                "--rouge-pairs", "2", "--models", fixture.Models, "--tokenizer", fixture.Tokenizer, "--threads", "1", "--json", json);
            Assert.True(eval.ExitCode == 0, eval.Stderr + eval.Stdout);
            var measured = JsonSerializer.Deserialize<Dictionary<string, double>>(File.ReadAllText(json))!;
            JsonElement final = summary.RootElement.GetProperty(key).GetProperty("final");
            Assert.Equal(measured.Keys.Order(), final.EnumerateObject().Select(p => p.Name).Order());
            Assert.Contains(MetricNames.TeacherKl, measured.Keys);
            foreach ((string name, double value) in measured)
                Assert.True(Math.Abs(final.GetProperty(name).GetDouble() - value) <= 1e-6,
                    $"{key} {name}: summary {final.GetProperty(name).GetDouble()}, eval --tasks {value}");
        }
    }

    [Theory]
    [InlineData("--ppo-epochs", "0", "--ppo-epochs must be ≥ 1, got 0")]
    [InlineData("--teacher-mix", "1", "--teacher-mix")]
    [InlineData("--lm-coef", "-1", "--lm-coef")]
    [InlineData("--grad-accum", "2", "--grad-accum is not used by --mode minillm")]
    public void A_bad_minillm_option_is_a_one_line_error(string option, string value, string reason)
    {
        string line = TrainerProcess.AssertOneLineError(TrainerProcess.Run(
            fixture.TrainArguments(NewFolder("bad-minillm"), "--mode", "minillm", option, value)));
        Assert.Contains(reason, line);
    }

    [Theory]
    [InlineData("--mode", "gkd", "unknown --mode 'gkd'")]
    [InlineData("--eval-pairs", "0", "evaluated pairs must be ≥ 1")]
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
