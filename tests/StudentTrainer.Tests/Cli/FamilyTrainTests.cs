using System.Text.Json;
using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Export;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Tests.Export;

namespace Distill.StudentTrainer.Tests.Cli;

/// <summary>
/// <c>train --student &lt;Hugging Face folder&gt;</c> for each family, and <c>make-student</c>: the run trains, and its
/// <c>export/distilled-student</c> is a Hugging Face folder of the same family whose model.onnx computes the logits of
/// its own model.safetensors.
/// </summary>
public sealed class FamilyTrainTests(TrainCommandFixture fixture) : IClassFixture<TrainCommandFixture>
{
    private string NewFolder(string name) => Path.Combine(fixture.Root, name + "-" + Guid.NewGuid().ToString("N")[..6]);

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    [InlineData("mistral")]
    [InlineData("qwen2")]
    [InlineData("qwen3")]
    public void A_hugging_face_student_folder_of_each_family_trains_and_exports_a_folder_of_its_family(string family)
    {
        string student = NewFolder(family);
        Directory.CreateDirectory(student);
        int vocab = TokenizerLoader.Load(fixture.Tokenizer).VocabSize;
        File.WriteAllText(Path.Combine(student, ModelConfig.FileName), FamilyExportTests.Config(family, vocab).ToJson());
        string run = NewFolder("run");

        var train = TrainerProcess.Run(fixture.TrainArguments(run, "--student", student, "--no-baseline",
            "--steps", "4", "--eval-interval", "4", "--checkpoint-interval", "4"));

        Assert.True(train.ExitCode == 0, train.Stderr + train.Stdout);
        string exported = Path.Combine(run, "export", "distilled-student");
        AssertLoadableAndServable(exported, family);
        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        Assert.Equal(4, summary.RootElement.GetProperty("distilled").GetProperty("steps").GetInt32());
    }

    [Theory]
    [InlineData("seqkd")]
    [InlineData("onpolicy")]
    [InlineData("distillm")]
    [InlineData("minillm")]
    public void A_llama_family_student_trains_in_every_pair_mode(string mode)
    {
        string student = NewFolder("qwen3");
        Directory.CreateDirectory(student);
        int vocab = TokenizerLoader.Load(fixture.Tokenizer).VocabSize;
        File.WriteAllText(Path.Combine(student, ModelConfig.FileName), FamilyExportTests.Config("qwen3", vocab).ToJson());
        string run = NewFolder("run");

        var train = TrainerProcess.Run(fixture.TrainArguments(run, "--student", student, "--mode", mode, "--tasks", fixture.MakeTasks(NewFolder("tasks")),
            "--no-baseline", "--steps", "2", "--ppo-epochs", "1", "--eval-interval", "2", "--checkpoint-interval", "2"));

        Assert.True(train.ExitCode == 0, train.Stderr + train.Stdout);
        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        Assert.Equal(mode, summary.RootElement.GetProperty("mode").GetString());
        AssertLoadableAndServable(Path.Combine(run, "export", "distilled-student"), "qwen3");
    }

    [Fact]
    public void A_student_cut_from_a_bfloat16_teacher_starts_from_its_weights_and_is_exported_in_bfloat16()
    {
        string teacher = NewFolder("teacher");
        int vocab = TokenizerLoader.Load(fixture.Tokenizer).VocabSize;
        using (CausalLm model = RandomGpt.Create(FamilyExportTests.Config("qwen3", vocab), seed: 3))
            HuggingFaceCheckpoint.Save(model, teacher, TorchSharp.torch.ScalarType.BFloat16);
        TokenizerFileCopy.CopyInto(fixture.Tokenizer, teacher);
        string cut = NewFolder("cut");

        var make = TrainerProcess.Run("make-student", "--from", teacher, "--layers", "1", "--out", cut);
        Assert.True(make.ExitCode == 0, make.Stderr + make.Stdout);
        Assert.Contains("qwen3 student of 1 of the teacher's 2 layers", make.Stdout);
        Assert.Equal(1, ModelFolder.ReadConfig(cut).Layers);
        Assert.Equal("bfloat16", ModelFolder.ReadConfig(cut).TorchDtype);
        Assert.True(TokenizerFileCopy.HoldsTokenizer(cut));

        string run = NewFolder("run");
        var train = TrainerProcess.Run(fixture.TrainArguments(run, "--student", cut, "--no-baseline", "--steps", "2",
            "--eval-interval", "2", "--checkpoint-interval", "2"));
        Assert.True(train.ExitCode == 0, train.Stderr + train.Stdout);
        using JsonDocument job = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "job.json")));
        Assert.Equal(cut, job.RootElement.GetProperty("InitialWeights").GetString());
        string exported = Path.Combine(run, "export", "distilled-student");
        Assert.Equal("bfloat16", ModelFolder.ReadConfig(exported).TorchDtype);
        AssertLoadableAndServable(exported, "qwen3");
    }

    [Fact]
    public void A_tokenizer_larger_than_the_students_embedding_is_a_one_line_error()
    {
        string student = NewFolder("small");
        using (CausalLm model = FamilyExportTests.Config("llama", vocab: 200).CreateModel())
            HuggingFaceCheckpoint.Save(model, student);

        string line = TrainerProcess.AssertOneLineError(TrainerProcess.Run(fixture.TrainArguments(NewFolder("run"), "--student", student)));
        Assert.Contains($"but the student in '{student}' embeds only 200", line);
    }

    private static void AssertLoadableAndServable(string exported, string family)
    {
        Assert.Equal(family, ModelFolder.ReadConfig(exported).ModelType);
        using CausalLm loaded = ModelFolder.Load(exported);
        using var onnx = new OrtModel(Path.Combine(exported, OnnxExporter.ModelFile));
        Assert.Contains("past_key_values.0.key", onnx.InputNames);
        int vocab = loaded.Config.VocabSize;
        TokenBatch batch = TokenBatch.Padded(vocab, 10, [10, 6], [false, true], seed: 4);
        float difference = TorchLogits.MaxAbsDifferenceOnRealPositions(onnx.Logits(batch, onnx.EmptyPast(batch.Batch)).Values,
            TorchLogits.Of(loaded, batch), batch, vocab);
        Assert.InRange(difference, 0, 1e-4f);
    }
}
