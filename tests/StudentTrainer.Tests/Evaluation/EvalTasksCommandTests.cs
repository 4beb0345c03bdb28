using System.Text.Json;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Evaluation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Tests.Cli;
using Distill.StudentTrainer.Tests.Export;
using Distill.StudentTrainer.Tests.Model;

namespace Distill.StudentTrainer.Tests.Evaluation;

/// <summary><c>eval --tasks</c> as a user runs it, on a tiny random student with a byte tokenizer.</summary>
public sealed class EvalTasksCommandTests : IDisposable
{
    private readonly ExportTestFolder _folder = new();
    private readonly string _checkpoint;

    public EvalTasksCommandTests()
    {
        _checkpoint = _folder.NewFolder("student");
        using CausalLm model = TinyModels.Create(TinyModels.Config with { VocabSize = ExportTestFolder.TokenizerVocabSize, Positions = 40 }, seed: 21);
        ModelFolder.Save(model, _checkpoint);
    }

    public void Dispose() => _folder.Dispose();

    private (int ExitCode, string Stdout, string Stderr) Eval(string tasks, params string[] extra) =>
        TrainerProcess.Run(["eval", "--checkpoint", _checkpoint, "--tokenizer", _folder.Tokenizer, "--tasks", tasks, "--no-teacher", "--threads", "1", .. extra]);

    [Fact]
    public void Eval_with_tasks_scores_the_held_out_pairs()
    {
        string tasks = Path.Combine(_folder.Root, "test.jsonl");
        PromptResponseFile.Write(tasks, [new("the cat", " sat on the mat"), new("a dog ran", " far"), new("hello", " world")]);
        string json = Path.Combine(_folder.Root, "figures.json");

        var run = Eval(tasks, "--json", json, "--max-pairs", "2");

        Assert.True(run.ExitCode == 0, run.Stderr + run.Stdout);
        Assert.Contains($"on {tasks}: validation perplexity", run.Stdout);
        Assert.Contains("ROUGE-L vs reference", run.Stdout);
        Assert.DoesNotContain("KL to teacher", run.Stdout);
        using JsonDocument figures = JsonDocument.Parse(File.ReadAllText(json));
        Assert.True(figures.RootElement.GetProperty(MetricNames.Perplexity).GetDouble() > 1);
    }

    [Theory]
    [InlineData("{\"prompt\": \"the cat\"}", "line 1")]
    [InlineData(null, "does not exist")]
    public void A_bad_tasks_file_is_a_one_line_error(string? content, string expected)
    {
        string tasks = Path.Combine(_folder.Root, "bad.jsonl");
        if (content is not null) File.WriteAllText(tasks, content + "\n");

        string line = TrainerProcess.AssertOneLineError(Eval(tasks));

        Assert.Contains("bad.jsonl", line);
        Assert.Contains(expected, line);
    }
}
