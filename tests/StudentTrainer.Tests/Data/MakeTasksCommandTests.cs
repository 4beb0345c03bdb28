using Distill.Shared.Data;
using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Tests.Cli;

namespace Distill.StudentTrainer.Tests.Data;

public sealed class MakeTasksCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("distill-tasks-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string Gpt2 => Path.Combine(AppContext.BaseDirectory, "Data", "gpt2");

    [Fact]
    public void Each_file_holds_pairs_of_its_own_split()
    {
        string data = TinyCorpus.Write(Path.Combine(_root, "data"), chaptersPerBook: 12);
        string output = Path.Combine(_root, "tasks");

        var run = TrainerProcess.Run("make-tasks", "--data", data, "--tokenizer", Gpt2, "--out", output,
            "--train", "40", "--validation", "4", "--test", "5", "--prompt-tokens", "8", "--response-tokens", "8");

        Assert.True(run.ExitCode == 0, run.Stderr);
        var corpus = BookCorpus.Load(data);
        string trainText = string.Join("\n", corpus.Texts(CorpusSplit.Train));
        string validationText = string.Join("\n", corpus.Texts(CorpusSplit.Validation));
        string testText = string.Join("\n", corpus.Texts(CorpusSplit.Test));
        IReadOnlyList<PromptResponsePair> train = PromptResponseFile.Read(Path.Combine(output, "train.jsonl"));
        IReadOnlyList<PromptResponsePair> validation = PromptResponseFile.Read(Path.Combine(output, "validation.jsonl"));
        IReadOnlyList<PromptResponsePair> test = PromptResponseFile.Read(Path.Combine(output, "test.jsonl"));
        Assert.Equal(40, train.Count);
        Assert.Equal(4, validation.Count);
        Assert.Equal(5, test.Count);
        Assert.All(train, p => Assert.Contains(p.Prompt + p.Response, trainText));
        Assert.All(train, p => Assert.DoesNotContain(p.Prompt + p.Response, testText));
        Assert.All(validation, p => Assert.Contains(p.Prompt + p.Response, validationText));
        Assert.All(validation, p => Assert.DoesNotContain(p.Prompt + p.Response, trainText));
        Assert.All(test, p => Assert.Contains(p.Prompt + p.Response, testText));
        Assert.All(test, p => Assert.DoesNotContain(p.Prompt + p.Response, trainText));
    }

    [Theory]
    [InlineData("--train", "0", "--train must be ≥ 1")]
    [InlineData("--test", "-3", "--test must be ≥ 1")]
    [InlineData("--validation", "0", "--validation must be ≥ 1")]
    [InlineData("--prompt-tokens", "0", "prompt tokens must be ≥ 1")]
    [InlineData("--response-tokens", "many", "--response-tokens")]
    public void A_bad_option_is_a_one_line_error(string option, string value, string reason)
    {
        string data = TinyCorpus.Write(Path.Combine(_root, "data"), chaptersPerBook: 12);
        string line = TrainerProcess.AssertOneLineError(TrainerProcess.Run(
            "make-tasks", "--data", data, "--tokenizer", Gpt2, "--out", Path.Combine(_root, "tasks"), option, value));
        Assert.Contains(reason, line);
        Assert.False(Directory.Exists(Path.Combine(_root, "tasks")));
    }
}
