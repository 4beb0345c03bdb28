using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Model;

/// <summary>Folders of this project's earlier format (model.json + model.weights, written by the old Gpt) become gpt2 models.</summary>
public class LegacyCheckpointTests
{
    [Fact]
    public void The_converted_model_computes_the_old_models_logits()
    {
        using var temporary = new TemporaryFolder();
        using Gpt old = TinyModels.Create(seed: 11);
        GptCheckpoint.Save(old, temporary.Path);
        Assert.True(LegacyCheckpoint.IsLegacyFolder(temporary.Path));

        using Gpt2LMHeadModel converted = LegacyCheckpoint.Load(temporary.Path);
        using Tensor ids = TinyModels.RandomIds(2, 16, seed: 5);
        using Tensor expected = old.Forward(ids);
        using Tensor actual = converted.Forward(ids);
        Assert.True(TinyModels.MaxAbsDiff(expected, actual) < 1e-5, $"difference {TinyModels.MaxAbsDiff(expected, actual)}");
        Assert.Equal(old.ParameterCount, converted.ParameterCount);
    }

    [Fact]
    public void Conv1D_weights_are_transposed_and_other_tensors_copied()
    {
        using var temporary = new TemporaryFolder();
        using Gpt old = TinyModels.Create(seed: 12);
        GptCheckpoint.Save(old, temporary.Path);
        using Gpt2LMHeadModel converted = LegacyCheckpoint.Load(temporary.Path);
        Dictionary<string, Tensor> before = old.state_dict(), after = converted.state_dict();
        Assert.Equal(before.Count, after.Count);
        using Tensor transposed = before["h.0.attn.c_attn.weight"].t();
        Assert.True(TinyModels.Same(transposed, after["transformer.h.0.attn.c_attn.weight"]));
        Assert.True(TinyModels.Same(before["wpe.weight"], after["transformer.wpe.weight"]));
        Assert.True(TinyModels.Same(before["h.1.attn.c_attn.bias"], after["transformer.h.1.attn.c_attn.bias"]));
    }

    [Fact]
    public void A_converted_model_saves_and_loads_as_a_hugging_face_folder()
    {
        using var temporary = new TemporaryFolder();
        string legacy = Path.Combine(temporary.Path, "legacy"), converted = Path.Combine(temporary.Path, "hf");
        using Gpt old = TinyModels.Create(seed: 13);
        GptCheckpoint.Save(old, legacy);
        using Gpt2LMHeadModel model = LegacyCheckpoint.Load(legacy);
        HuggingFaceCheckpoint.Save(model, converted);
        using CausalLm reloaded = HuggingFaceCheckpoint.Load(converted);
        using Tensor ids = TinyModels.RandomIds(1, 12, seed: 6);
        using Tensor expected = old.Forward(ids);
        using Tensor actual = reloaded.Forward(ids);
        Assert.True(TinyModels.MaxAbsDiff(expected, actual) < 1e-5);
        Assert.False(LegacyCheckpoint.IsLegacyFolder(converted));
    }

    [Fact]
    public void A_legacy_folder_without_weights_is_refused()
    {
        using var temporary = new TemporaryFolder();
        using Gpt old = TinyModels.Create();
        GptCheckpoint.Save(old, temporary.Path);
        File.Delete(Path.Combine(temporary.Path, LegacyCheckpoint.WeightsFile));
        var e = Assert.Throws<FileNotFoundException>(() => LegacyCheckpoint.Load(temporary.Path));
        Assert.Contains("no model.weights", e.Message);
    }
}
