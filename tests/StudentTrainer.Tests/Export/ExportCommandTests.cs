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
    public void A_model_folder_exports_with_past_key_values_in_the_dtype_asked_or_without_them()
    {
        using CausalLm model = RandomGpt.Create(RandomGpt.Config(300, 16, 16, 1, 2, exactGelu: true), seed: 31);
        string run = _folder.NewFolder("run");
        ModelFolder.Save(model, run);
        foreach (string file in Directory.GetFiles(_folder.Tokenizer))
            File.Copy(file, Path.Combine(run, Path.GetFileName(file)));
        string output = _folder.NewFolder("exported");

        var (exitCode, stdout, stderr) = TrainerProcess.Run("export", "--checkpoint", run, "--out", output, "--dtype", "bfloat16");

        Assert.True(exitCode == 0, $"exit code {exitCode}: {stderr}");
        Assert.Contains(output, stdout);
        using (var onnx = new OrtModel(Path.Combine(output, "model.onnx")))
        {
            Assert.Contains("past_key_values.0.key", onnx.InputNames);
            Assert.Contains("present.0.value", onnx.OutputNames);
        }
        Assert.Equal("bfloat16", ModelFolder.ReadConfig(output).TorchDtype);

        string plain = _folder.NewFolder("plain");
        Assert.Equal(0, TrainerProcess.Run("export", "--checkpoint", run, "--out", plain, "--no-past").ExitCode);
        using var plainOnnx = new OrtModel(Path.Combine(plain, "model.onnx"));
        Assert.DoesNotContain("past_key_values.0.key", plainOnnx.InputNames);
    }

    [Fact]
    public void An_unknown_weights_dtype_is_a_one_line_error()
    {
        string line = TrainerProcess.AssertOneLineError(TrainerProcess.Run("export", "--checkpoint", _folder.Tokenizer, "--out", _folder.NewFolder("out"), "--dtype", "float64"));
        Assert.Contains("weights dtype 'float64' is not supported (float32, float16, bfloat16)", line);
    }

    public void Dispose() => _folder.Dispose();
}
