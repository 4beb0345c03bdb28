using System.Text.Json;
using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Evaluation;

namespace Distill.StudentTrainer.Tests.Cli;

/// <summary><c>train</c> and <c>eval</c> as a user runs them: auto-started teacher, baseline, export, Ctrl-C and resume, errors.</summary>
public sealed class TrainCommandTests(TrainCommandFixture fixture) : IClassFixture<TrainCommandFixture>
{
    private string NewRun(string name) => Path.Combine(fixture.Root, "runs", name + "-" + Guid.NewGuid().ToString("N")[..6]);

    [Fact]
    public void Train_distils_trains_the_baseline_evaluates_both_and_exports_a_servable_student()
    {
        string run = NewRun("full");
        var train = TrainerProcess.Run(fixture.TrainArguments(run, "--divergence", "akl"));
        Assert.True(train.ExitCode == 0, train.Stderr + train.Stdout);
        Assert.Contains("starting TeacherServer", train.Stdout);
        foreach (string row in new[] { "validation perplexity", "KL(teacher ‖ student)", "top-1 agreement", "ROUGE-L vs teacher", "cross-entropy" })
            Assert.Contains(row, train.Stdout);

        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        JsonElement distilled = summary.RootElement.GetProperty("distilled");
        Assert.Equal(12, distilled.GetProperty("steps").GetInt32());
        Assert.Equal("Applied", summary.RootElement.GetProperty("malloc_tuning").GetString());
        Assert.Equal(12L * 4 * 24, distilled.GetProperty("tokens").GetInt64());
        Assert.True(distilled.GetProperty("final").GetProperty(MetricNames.TeacherKl).GetDouble() > 0);
        Assert.True(summary.RootElement.GetProperty("baseline").GetProperty("final").GetProperty(MetricNames.Perplexity).GetDouble() > 1);

        Assert.True(File.Exists(Path.Combine(run, "export", "distilled-student", "model.onnx")));
        Assert.True(File.Exists(Path.Combine(run, "export", "distilled-student", "config.json")));
        foreach (string file in new[] { "metrics.jsonl", "loss.png", "eval.png", "job.json", "teacher-server.log", "baseline/metrics.jsonl" })
            Assert.True(File.Exists(Path.Combine(run, file)), file);
        IReadOnlyList<MetricsRecord> records = MetricsLog.ReadAll(run);
        Assert.Equal([0, 6, 12], records.Where(r => r.Kind == MetricsRecord.Eval).Select(r => (int)r.Step));
        Assert.Equal(12, TrainingCheckpoint.ReadState(TrainingCheckpoint.Locate(run)).Step);

        var eval = TrainerProcess.Run("eval", "--checkpoint", run, "--models", fixture.Models, "--tokenizer", fixture.Tokenizer,
            "--data", fixture.Data, "--seq-len", "24", "--threads", "1");
        Assert.True(eval.ExitCode == 0, eval.Stderr + eval.Stdout);
        Assert.Contains("KL to teacher", eval.Stdout);
    }

    [Fact]
    public void Ctrl_c_writes_a_checkpoint_and_resume_finishes_the_run_without_repeating_a_step()
    {
        string run = NewRun("interrupted");
        var interrupted = TrainerProcess.Run(process => TrainerProcess.SignalOnceTraining(process, run),
            fixture.TrainArguments(run, "--steps", "3000", "--no-baseline", "--eval-interval", "100000", "--checkpoint-interval", "100000"));
        Assert.True(interrupted.ExitCode == 130, interrupted.Stderr + interrupted.Stdout);
        Assert.Contains("--resume", interrupted.Stderr);
        int stoppedAt = TrainingCheckpoint.ReadState(TrainingCheckpoint.Locate(run)).Step;
        Assert.InRange(stoppedAt, 10, 2999);

        var resumed = TrainerProcess.Run("train", "--resume", run, "--models", fixture.Models, "--threads", "1");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr + resumed.Stdout);
        Assert.Contains($"resumed at step {stoppedAt}", resumed.Stdout);
        int[] trainSteps = MetricsLog.ReadAll(run).Where(r => r.Kind == MetricsRecord.Train).Select(r => (int)r.Step).ToArray();
        Assert.Equal(trainSteps.Distinct().Order(), trainSteps);
        Assert.Equal(3000, trainSteps[^1]);
        Assert.Equal(3000, TrainingCheckpoint.ReadState(TrainingCheckpoint.Locate(run)).Step);
        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        Assert.True(summary.RootElement.GetProperty("before").GetProperty(MetricNames.Perplexity).GetDouble() > 1,
            "the step-0 evaluation of the first session is in the resumed run's summary");
    }

    [Fact]
    public void A_teacher_with_another_tokenizer_is_refused_in_one_line_naming_both_fingerprints()
    {
        string other = Path.Combine(fixture.Root, "byte-tokenizer");
        var vocab = Distill.Shared.Tokenization.ByteLevelAlphabet.Symbols.Select((symbol, id) => (symbol, id)).ToDictionary(e => e.symbol, e => e.id);
        vocab["<|endoftext|>"] = 256;
        Distill.Shared.Tokenization.TokenizerFiles.Write(other, vocab, []);
        string line = TrainerProcess.AssertOneLineError(TrainerProcess.Run(
            fixture.TrainArguments(NewRun("mismatch"), "--tokenizer", other, "--student", "student")));
        Assert.Contains(Distill.Shared.Tokenization.TokenizerLoader.Load(other).Fingerprint[..8], line);
        Assert.Contains(Distill.Shared.Tokenization.TokenizerLoader.Load(fixture.Tokenizer).Fingerprint[..8], line);
    }

    [Theory]
    [InlineData("--divergence", "kl2", "unknown divergence 'kl2'")]
    [InlineData("--lambda", "1.5", "--lambda must be in [0, 1]")]
    [InlineData("--k", "0", "--k must be in [1, ")]
    [InlineData("--teacher", "not a url", "--teacher 'not a url' is not an http(s) URL")]
    [InlineData("--seq-len", "100", "--seq-len must be in [2, 32]")]
    [InlineData("--alpha", "1", "α of skl and srkl must be in [0, 1), got 1")]
    [InlineData("--beta", "0", "β of js must be in (0, 1), got 0")]
    [InlineData("--beta", "1", "β of js must be in (0, 1), got 1")]
    [InlineData("--mu", "1.5", "μ of akl must be in [0, 1], got 1.5")]
    public void Bad_option_values_are_one_line_errors_naming_the_valid_range(string option, string value, string message)
    {
        string line = TrainerProcess.AssertOneLineError(TrainerProcess.Run(fixture.TrainArguments(NewRun("bad"), option, value)));
        Assert.Contains(message, line);
    }

    [Fact]
    public void Resuming_a_folder_that_is_not_a_run_is_a_one_line_error()
    {
        string line = TrainerProcess.AssertOneLineError(TrainerProcess.Run("train", "--resume", fixture.Data));
        Assert.Contains("not a train run folder", line);
    }
}
