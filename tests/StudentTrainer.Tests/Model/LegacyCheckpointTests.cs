using System.Text.Json;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Tests.Export;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Model;

/// <summary>
/// Folders of this project's earlier format (model.json + model.weights, written by the old Gpt class) become gpt2 models:
/// <c>tests/fixtures/legacy-checkpoint</c> was written by that class, with its logits.
/// </summary>
public class LegacyCheckpointTests
{
    private static readonly string Fixture = Path.Combine(RepoRoot.Path, "tests", "fixtures", "legacy-checkpoint");

    [Fact]
    public void The_converted_model_computes_the_old_models_logits()
    {
        Assert.True(LegacyCheckpoint.IsLegacyFolder(Fixture));
        using Gpt2LMHeadModel converted = LegacyCheckpoint.Load(Fixture);
        (long[][] ids, float[][][] logits) = Reference();
        using Tensor input = tensor(ids.SelectMany(row => row).ToArray(), [ids.Length, ids[0].Length]);
        using Tensor expected = tensor(logits.SelectMany(row => row.SelectMany(position => position)).ToArray(), [ids.Length, ids[0].Length, logits[0][0].Length]);
        using Tensor actual = converted.Forward(input);
        Assert.True(TinyModels.MaxAbsDiff(expected, actual) < 1e-5, $"difference {TinyModels.MaxAbsDiff(expected, actual)}");
        Assert.Equal(TinyModels.Config, converted.Config);
    }

    [Fact]
    public void Conv1D_weights_are_transposed_and_other_tensors_copied()
    {
        using Gpt2LMHeadModel converted = LegacyCheckpoint.Load(Fixture);
        Dictionary<string, Tensor> before = LegacyCheckpoint.ReadStateDict(Path.Combine(Fixture, LegacyCheckpoint.WeightsFile));
        Dictionary<string, Tensor> after = converted.state_dict();
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
        using Gpt2LMHeadModel model = LegacyCheckpoint.Load(Fixture);
        HuggingFaceCheckpoint.Save(model, temporary.Path);
        using CausalLm reloaded = ModelFolder.Load(temporary.Path);
        using Tensor ids = TinyModels.RandomIds(1, 12, seed: 6);
        Assert.Equal(0.0, TinyModels.MaxAbsDiff(model.Forward(ids), reloaded.Forward(ids)));
        Assert.False(LegacyCheckpoint.IsLegacyFolder(temporary.Path));
    }

    [Fact]
    public void A_legacy_folder_without_weights_is_refused()
    {
        using var temporary = new TemporaryFolder();
        File.Copy(Path.Combine(Fixture, LegacyCheckpoint.ConfigFile), Path.Combine(temporary.Path, LegacyCheckpoint.ConfigFile));
        var e = Assert.Throws<FileNotFoundException>(() => LegacyCheckpoint.Load(temporary.Path));
        Assert.Contains("no model.weights", e.Message);
    }

    private static (long[][] Ids, float[][][] Logits) Reference()
    {
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixture, "reference.json")));
        JsonElement root = document.RootElement;
        long[][] ids = root.GetProperty("input_ids").Deserialize<long[][]>()!;
        float[][][] logits = root.GetProperty("logits").Deserialize<float[][][]>()!;
        return (ids, logits);
    }
}
