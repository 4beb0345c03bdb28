using System.Text.Json.Nodes;
using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Model;

/// <summary>What the loader refuses, each in one line that names the file, tensor or field at fault.</summary>
public class HuggingFaceRefusalTests
{
    private const string Weights = HuggingFaceCheckpoint.WeightsFile;

    [Fact]
    public void A_folder_without_config_json()
    {
        using var temporary = new TemporaryFolder();
        var e = Assert.Throws<FileNotFoundException>(() => HuggingFaceCheckpoint.Load(temporary.Path));
        Assert.Contains("no config.json", e.Message);
    }

    [Fact]
    public void An_unknown_model_type()
    {
        using var temporary = new TemporaryFolder();
        string folder = WithConfig(temporary, "qwen3", c => c["model_type"] = "bert");
        var e = Assert.Throws<InvalidDataException>(() => HuggingFaceCheckpoint.Load(folder));
        Assert.Contains("model_type 'bert' is not supported", e.Message);
    }

    [Fact]
    public void An_unknown_rope_type()
    {
        using var temporary = new TemporaryFolder();
        string folder = WithConfig(temporary, "llama", c => c["rope_scaling"] = new JsonObject { ["rope_type"] = "yarn", ["factor"] = 4.0 });
        var e = Assert.Throws<InvalidDataException>(() => HuggingFaceCheckpoint.Load(folder));
        Assert.Contains("rope type 'yarn' is not supported (default, linear, llama3)", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_missing_tensor()
    {
        using var temporary = new TemporaryFolder();
        string folder = WithTensors(temporary, "llama", t => t.Remove("model.layers.1.mlp.up_proj.weight"));
        var e = Assert.Throws<InvalidDataException>(() => HuggingFaceCheckpoint.Load(folder));
        Assert.Contains("missing tensor 'model.layers.1.mlp.up_proj.weight'", e.Message);
    }

    [Fact]
    public void An_extra_tensor()
    {
        using var temporary = new TemporaryFolder();
        string folder = WithTensors(temporary, "llama", t => t["model.layers.2.mlp.up_proj.weight"] = zeros(40, 32));
        var e = Assert.Throws<InvalidDataException>(() => HuggingFaceCheckpoint.Load(folder));
        Assert.Contains("tensor 'model.layers.2.mlp.up_proj.weight' is not a parameter", e.Message);
    }

    [Fact]
    public void A_tensor_of_the_wrong_shape()
    {
        using var temporary = new TemporaryFolder();
        string folder = WithTensors(temporary, "qwen3", t => t["model.layers.0.self_attn.q_norm.weight"] = ones(8));
        var e = Assert.Throws<InvalidDataException>(() => HuggingFaceCheckpoint.Load(folder));
        Assert.Contains("tensor 'model.layers.0.self_attn.q_norm.weight' has shape [8], the model's 'model.layers.0.self_attn.q_norm.weight' has [10]", e.Message);
    }

    [Fact]
    public void A_tensor_of_an_unsupported_dtype()
    {
        using var temporary = new TemporaryFolder();
        string folder = WithTensors(temporary, "llama", t => t["model.norm.weight"] = t["model.norm.weight"].to(ScalarType.Float64));
        var e = Assert.Throws<InvalidDataException>(() => HuggingFaceCheckpoint.Load(folder));
        Assert.Contains("tensor 'model.norm.weight' is stored as F64", e.Message);
    }

    [Fact]
    public void An_index_naming_a_missing_shard()
    {
        using var temporary = new TemporaryFolder();
        string folder = HuggingFaceFixtures.CopyToTemporary("llama-sharded", temporary);
        File.Delete(Path.Combine(folder, "model-00002-of-00002.safetensors"));
        var e = Assert.Throws<FileNotFoundException>(() => HuggingFaceCheckpoint.Load(folder));
        Assert.Contains("names the shard 'model-00002-of-00002.safetensors'", e.Message);
    }

    [Fact]
    public void An_untied_model_whose_checkpoint_lacks_the_head()
    {
        using var temporary = new TemporaryFolder();
        string folder = WithTensors(temporary, "llama", t => t.Remove("lm_head.weight"));
        var e = Assert.Throws<InvalidDataException>(() => HuggingFaceCheckpoint.Load(folder));
        Assert.Contains("missing tensor 'lm_head.weight'", e.Message);
    }

    [Fact]
    public void A_tied_model_ignores_a_head_and_legacy_rotary_buffers()
    {
        using var temporary = new TemporaryFolder();
        string folder = WithTensors(temporary, "llama-tied-bias", t =>
        {
            t["lm_head.weight"] = zeros(96, 32);
            t["model.layers.0.self_attn.rotary_emb.inv_freq"] = ones(4);
            t["model.rotary_emb.inv_freq"] = ones(4);
        });
        using CausalLm loaded = HuggingFaceCheckpoint.Load(folder);
        using CausalLm fixture = HuggingFaceCheckpoint.Load(HuggingFaceFixtures.Folder("llama-tied-bias"));
        Assert.All(fixture.state_dict(), p => Assert.True(TinyModels.Same(p.Value, loaded.state_dict()[p.Key]), p.Key));
    }

    private static string WithConfig(TemporaryFolder temporary, string fixture, Action<JsonObject> change)
    {
        string folder = HuggingFaceFixtures.CopyToTemporary(fixture, temporary);
        string path = Path.Combine(folder, ModelConfig.FileName);
        var config = (JsonObject)JsonNode.Parse(File.ReadAllText(path))!;
        change(config);
        File.WriteAllText(path, config.ToJsonString());
        return folder;
    }

    private static string WithTensors(TemporaryFolder temporary, string fixture, Action<Dictionary<string, Tensor>> change)
    {
        string folder = HuggingFaceFixtures.CopyToTemporary(fixture, temporary);
        string path = Path.Combine(folder, Weights);
        Dictionary<string, Tensor> tensors = SafetensorsFile.Read(path, SafetensorsFile.ReadHeader(path).Keys.ToList());
        change(tensors);
        SafetensorsFile.Write(path, tensors.Select(p => (p.Key, p.Value)).ToList());
        return folder;
    }
}
