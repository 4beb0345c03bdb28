using System.Text.Json;
using Distill.StudentTrainer.Model;

namespace Distill.StudentTrainer.Tests.Cli;

/// <summary>The CLI end to end on a tiny corpus: tokenizer, pretraining, generation, export; and its errors.</summary>
public sealed class TrainerCliTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("distill-cli-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string TinyCorpus() => Cli.TinyCorpus.Write(Path.Combine(_root, "data"), chaptersPerBook: 12);

    [Fact]
    public void Tokenizer_pretraining_generation_and_export_work_from_the_command_line()
    {
        string data = TinyCorpus();
        string tokenizer = Path.Combine(_root, "tok");
        string run = Path.Combine(_root, "run");
        string exported = Path.Combine(_root, "exported");
        string config = Path.Combine(_root, "tiny.json");
        File.WriteAllText(config, """{"vocab_size": 300, "context_length": 32, "n_embd": 32, "n_layer": 1, "n_head": 2}""");

        var tok = TrainerProcess.Run("train-tokenizer", "--data", data, "--vocab-size", "300", "--out", tokenizer);
        Assert.True(tok.ExitCode == 0, tok.Stderr);
        Assert.True(File.Exists(Path.Combine(tokenizer, "vocab.json")));

        var pretrain = TrainerProcess.Run("pretrain", "--model", config, "--data", data, "--tokenizer", tokenizer, "--out", run,
            "--steps", "30", "--batch-size", "4", "--warmup", "5", "--eval-interval", "15", "--threads", "1");
        Assert.True(pretrain.ExitCode == 0, pretrain.Stderr);
        Assert.Contains("test perplexity", pretrain.Stdout);
        using (JsonDocument summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json"))))
        {
            JsonElement outcome = summary.RootElement.GetProperty("result");
            double perplexity = outcome.GetProperty("TestPerplexity").GetDouble();
            // Guessing uniformly over the 300 ids scores 300; 30 steps on a text of a dozen words must do much better.
            Assert.InRange(perplexity, 1, 0.75 * 300);
            // Perplexity is exp of the mean cross-entropy, and the test text is drawn like the training text.
            Assert.InRange(Math.Log(perplexity) - outcome.GetProperty("FinalTrainLoss").GetDouble(), -0.5, 0.5);
        }
        Assert.Equal(300, ModelFolder.ReadConfig(run).VocabSize);

        var generate = TrainerProcess.Run("generate", "--checkpoint", run, "--prompt", "the lady", "--max-new-tokens", "10", "--threads", "1");
        Assert.True(generate.ExitCode == 0, generate.Stderr);
        Assert.StartsWith("the lady", generate.Stdout);

        var export = TrainerProcess.Run("export", "--checkpoint", run, "--out", exported);
        Assert.True(export.ExitCode == 0, export.Stderr);
        Assert.True(File.Exists(Path.Combine(exported, "model.onnx")));
    }

    [Fact]
    public void Missing_tokenizer_folder_is_a_one_line_error()
    {
        string line = TrainerProcess.AssertOneLineError(
            TrainerProcess.Run("pretrain", "--tokenizer", Path.Combine(_root, "none"), "--out", Path.Combine(_root, "run")));
        Assert.Contains("tokenizer", line);
    }

    [Fact]
    public void Missing_required_option_is_a_one_line_error()
    {
        string line = TrainerProcess.AssertOneLineError(TrainerProcess.Run("pretrain", "--out", Path.Combine(_root, "run")));
        Assert.Contains("--tokenizer", line);
    }

    [Theory]
    [InlineData("--steps", "0")]
    [InlineData("--batch-size", "-1")]
    [InlineData("--device", "tpu")]
    [InlineData("--steps", "many")]
    public void Invalid_values_are_one_line_errors(string option, string value)
    {
        string tokenizer = Path.Combine(_root, "tok");
        var tok = TrainerProcess.Run("train-tokenizer", "--data", TinyCorpus(), "--vocab-size", "280", "--out", tokenizer);
        Assert.Equal(0, tok.ExitCode);
        TrainerProcess.AssertOneLineError(TrainerProcess.Run("pretrain", "--tokenizer", tokenizer, "--out", Path.Combine(_root, "run"), option, value));
    }

    [Fact]
    public void Generate_on_a_missing_checkpoint_is_a_one_line_error()
    {
        TrainerProcess.AssertOneLineError(TrainerProcess.Run("generate", "--checkpoint", Path.Combine(_root, "none"), "--prompt", "x"));
    }

    [Fact]
    public void Tokenize_encodes_and_decodes_with_the_gpt2_files()
    {
        string gpt2 = Path.Combine(AppContext.BaseDirectory, "Data", "gpt2");
        var encode = TrainerProcess.Run("tokenize", "--tokenizer", gpt2, "--text", "Hello world");
        Assert.True(encode.ExitCode == 0, encode.Stderr);
        Assert.Equal("[15496,995]", encode.Stdout.Trim());
        var decode = TrainerProcess.Run("tokenize", "--tokenizer", gpt2, "--decode", "[15496,995]");
        Assert.Equal("Hello world", decode.Stdout.Trim());
        TrainerProcess.AssertOneLineError(TrainerProcess.Run("tokenize", "--tokenizer", gpt2, "--decode", "[1, \"x\"]"));
        TrainerProcess.AssertOneLineError(TrainerProcess.Run("tokenize", "--tokenizer", gpt2, "--decode", "[99999999]"));
        TrainerProcess.AssertOneLineError(TrainerProcess.Run("tokenize", "--tokenizer", gpt2));
    }
}
