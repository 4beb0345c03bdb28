using Distill.StudentTrainer.Tests.Cli;
using Distill.StudentTrainer.Model;

namespace Distill.StudentTrainer.Tests.Export;

/// <summary>The <c>export</c> command of the StudentTrainer CLI, run as its own process.</summary>
public sealed class ExportCommandTests : IDisposable
{
    private readonly ExportTestFolder _folder = new();

    [Fact]
    public void Missing_checkpoint_fails_with_exit_code_1_and_a_one_line_error()
    {
        string missing = Path.Combine(_folder.Root, "no-such-run");
        var (exitCode, stdout, stderr) = TrainerProcess.Run("export", "--checkpoint", missing, "--out", _folder.NewFolder("out"));

        string line = TrainerProcess.AssertOneLineError((exitCode, stdout, stderr));
        Assert.Contains(missing, line);
        Assert.Equal("", stdout.Trim());
    }

    [Fact]
    public void Checkpoint_exports_to_a_model_folder_with_past_key_values()
    {
        using CausalLm model = RandomGpt.Create(RandomGpt.Config(300, 16, 16, 1, 2, exactGelu: true), seed: 31);
        string run = _folder.NewFolder("run");
        ModelFolder.Save(model, run);
        foreach (string file in Directory.GetFiles(_folder.Tokenizer))
            File.Copy(file, Path.Combine(run, Path.GetFileName(file)));
        string output = _folder.NewFolder("exported");

        var (exitCode, stdout, stderr) = TrainerProcess.Run("export", "--checkpoint", run, "--out", output, "--optimum-past");

        Assert.True(exitCode == 0, $"exit code {exitCode}: {stderr}");
        Assert.Contains("model.onnx", stdout);
        using var onnx = new OrtModel(Path.Combine(output, "model.onnx"));
        Assert.Contains("past_key_values.0.key", onnx.InputNames);
        Assert.Contains("present.0.value", onnx.OutputNames);
    }

    public void Dispose() => _folder.Dispose();
}
