using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Model;

/// <summary>Saving in Hugging Face's format: names, layouts, dtypes, shards, and loading back what was saved.</summary>
public class HuggingFaceSaveTests
{
    public static TheoryData<string> Cases => HuggingFaceFixtures.All;

    [Theory]
    [MemberData(nameof(Cases))]
    public void Load_save_load_is_bit_exact(string name)
    {
        using var temporary = new TemporaryFolder();
        using CausalLm first = HuggingFaceCheckpoint.Load(HuggingFaceFixtures.Folder(name));
        HuggingFaceCheckpoint.Save(first, temporary.Path);
        using CausalLm second = HuggingFaceCheckpoint.Load(temporary.Path);
        Dictionary<string, Tensor> a = first.state_dict(), b = second.state_dict();
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        Assert.All(a, p => Assert.True(TinyModels.Same(p.Value, b[p.Key]), p.Key));
        Assert.True(first.Config.SameShape(second.Config));
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    [InlineData("qwen2")]
    [InlineData("qwen3")]
    [InlineData("llama-tied-bias")]
    public void Saved_names_shapes_and_bytes_are_those_of_the_fixture(string name)
    {
        using var temporary = new TemporaryFolder();
        using CausalLm model = HuggingFaceCheckpoint.Load(HuggingFaceFixtures.Folder(name));
        string? storedDtype = name == "qwen2" ? "F16" : null;
        HuggingFaceCheckpoint.Save(model, temporary.Path, storedDtype is null ? null : ScalarType.Float16);
        var fixture = HuggingFaceFixtures.RawTensors(Path.Combine(HuggingFaceFixtures.Folder(name), HuggingFaceCheckpoint.WeightsFile))
            .Where(p => !p.Key.EndsWith(".attn.bias", StringComparison.Ordinal) && !p.Key.EndsWith(".attn.masked_bias", StringComparison.Ordinal))
            .ToDictionary();
        var saved = HuggingFaceFixtures.RawTensors(Path.Combine(temporary.Path, HuggingFaceCheckpoint.WeightsFile));
        Assert.Equal(fixture.Keys.Order(), saved.Keys.Order());
        foreach ((string tensorName, var stored) in fixture)
        {
            Assert.Equal(stored.Dtype, saved[tensorName].Dtype);
            Assert.Equal(stored.Shape, saved[tensorName].Shape);
            Assert.True(stored.Bytes.AsSpan().SequenceEqual(saved[tensorName].Bytes), tensorName);
        }
    }

    [Fact]
    public void Gpt2_stores_c_attn_in_out_and_no_tied_head()
    {
        using var temporary = new TemporaryFolder();
        using CausalLm model = HuggingFaceCheckpoint.Load(HuggingFaceFixtures.Folder("gpt2"));
        HuggingFaceCheckpoint.Save(model, temporary.Path);
        var saved = HuggingFaceFixtures.RawTensors(Path.Combine(temporary.Path, HuggingFaceCheckpoint.WeightsFile));
        Assert.Equal(new long[] { 32, 96 }, saved["transformer.h.0.attn.c_attn.weight"].Shape);
        Assert.Equal(new long[] { 32, 64 }, saved["transformer.h.0.mlp.c_fc.weight"].Shape);
        Assert.DoesNotContain("lm_head.weight", saved.Keys);
        Assert.All(saved.Keys, k => Assert.StartsWith("transformer.", k));
    }

    [Fact]
    public void A_tied_llama_saves_no_head_and_an_untied_one_does()
    {
        using var temporary = new TemporaryFolder();
        using CausalLm tied = HuggingFaceCheckpoint.Load(HuggingFaceFixtures.Folder("llama-tied-bias"));
        using CausalLm untied = HuggingFaceCheckpoint.Load(HuggingFaceFixtures.Folder("llama"));
        string tiedFolder = Path.Combine(temporary.Path, "tied"), untiedFolder = Path.Combine(temporary.Path, "untied");
        HuggingFaceCheckpoint.Save(tied, tiedFolder);
        HuggingFaceCheckpoint.Save(untied, untiedFolder);
        Assert.DoesNotContain("lm_head.weight", SafetensorsFile.ReadHeader(Path.Combine(tiedFolder, HuggingFaceCheckpoint.WeightsFile)).Keys);
        Assert.Contains("lm_head.weight", SafetensorsFile.ReadHeader(Path.Combine(untiedFolder, HuggingFaceCheckpoint.WeightsFile)).Keys);
        Assert.DoesNotContain(SafetensorsFile.ReadHeader(Path.Combine(untiedFolder, HuggingFaceCheckpoint.WeightsFile)).Keys, k => k.Contains("inv_freq"));
    }

    [Fact]
    public void Saving_in_bfloat16_stores_the_rounded_weights_and_says_so_in_the_config()
    {
        using var temporary = new TemporaryFolder();
        using CausalLm model = HuggingFaceCheckpoint.Load(HuggingFaceFixtures.Folder("qwen3"));
        HuggingFaceCheckpoint.Save(model, temporary.Path, ScalarType.BFloat16);
        Assert.All(SafetensorsFile.ReadHeader(Path.Combine(temporary.Path, HuggingFaceCheckpoint.WeightsFile)).Values, e => Assert.Equal("BF16", e.Dtype));
        using CausalLm reloaded = HuggingFaceCheckpoint.Load(temporary.Path);
        Assert.Equal("bfloat16", reloaded.Config.TorchDtype);
        Dictionary<string, Tensor> original = model.state_dict(), rounded = reloaded.state_dict();
        foreach ((string name, Tensor p) in original)
        {
            using Tensor expected = p.to(ScalarType.BFloat16).to(ScalarType.Float32);
            Assert.True(TinyModels.Same(expected, rounded[name]), name);
        }
        Assert.Contains(original, p => !TinyModels.Same(p.Value, rounded[p.Key]));
    }

    [Fact]
    public void Bfloat16_and_float16_files_round_trip_to_the_bit()
    {
        using var temporary = new TemporaryFolder();
        foreach ((string name, ScalarType dtype) in new[] { ("llama-bf16", ScalarType.BFloat16), ("qwen2", ScalarType.Float16) })
        {
            using CausalLm model = HuggingFaceCheckpoint.Load(HuggingFaceFixtures.Folder(name));
            string folder = Path.Combine(temporary.Path, name);
            HuggingFaceCheckpoint.Save(model, folder, dtype);
            var fixture = HuggingFaceFixtures.RawTensors(Path.Combine(HuggingFaceFixtures.Folder(name), HuggingFaceCheckpoint.WeightsFile));
            var saved = HuggingFaceFixtures.RawTensors(Path.Combine(folder, HuggingFaceCheckpoint.WeightsFile));
            Assert.Equal(fixture.Keys.Order(), saved.Keys.Order());
            Assert.All(fixture, p => Assert.True(p.Value.Bytes.AsSpan().SequenceEqual(saved[p.Key].Bytes), $"{name}: {p.Key}"));
        }
    }

    [Fact]
    public void A_model_larger_than_the_shard_size_is_saved_in_shards_with_an_index_and_loads_back()
    {
        using var temporary = new TemporaryFolder();
        using CausalLm model = HuggingFaceCheckpoint.Load(HuggingFaceFixtures.Folder("llama"));
        HuggingFaceCheckpoint.Save(model, temporary.Path);
        long total = model.state_dict().Values.Sum(t => t.NumberOfElements * 4);
        HuggingFaceCheckpoint.Save(model, temporary.Path, maxShardBytes: total - 1);

        Assert.False(File.Exists(Path.Combine(temporary.Path, HuggingFaceCheckpoint.WeightsFile)), "the earlier single file is removed");
        Assert.True(File.Exists(Path.Combine(temporary.Path, "model-00001-of-00002.safetensors")));
        Assert.True(File.Exists(Path.Combine(temporary.Path, "model-00002-of-00002.safetensors")));
        using var index = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(temporary.Path, HuggingFaceCheckpoint.IndexFile)));
        Assert.Equal(total, index.RootElement.GetProperty("metadata").GetProperty("total_size").GetInt64());
        Assert.Equal(model.state_dict().Count, index.RootElement.GetProperty("weight_map").EnumerateObject().Count());

        using CausalLm reloaded = HuggingFaceCheckpoint.Load(temporary.Path);
        Assert.All(model.state_dict(), p => Assert.True(TinyModels.Same(p.Value, reloaded.state_dict()[p.Key]), p.Key));
    }

    [Fact]
    public void Saving_over_a_larger_file_leaves_a_valid_file()
    {
        using var temporary = new TemporaryFolder();
        using CausalLm model = HuggingFaceCheckpoint.Load(HuggingFaceFixtures.Folder("qwen3"));
        HuggingFaceCheckpoint.Save(model, temporary.Path);
        HuggingFaceCheckpoint.Save(model, temporary.Path, ScalarType.BFloat16);
        string path = Path.Combine(temporary.Path, HuggingFaceCheckpoint.WeightsFile);
        byte[] bytes = File.ReadAllBytes(path);
        long header = BitConverter.ToInt64(bytes, 0);
        long data = model.state_dict().Values.Sum(t => t.NumberOfElements * 2);
        Assert.Equal(8 + header + data, bytes.Length);
        Assert.Equal(0, header % 8);
        Assert.Contains("\"__metadata__\":{\"format\":\"pt\"}", System.Text.Encoding.UTF8.GetString(bytes, 8, (int)header));
    }

    [Fact]
    public void A_folder_with_only_a_config_gives_a_seeded_random_model()
    {
        using var temporary = new TemporaryFolder();
        File.Copy(Path.Combine(HuggingFaceFixtures.Folder("qwen3"), ModelConfig.FileName), Path.Combine(temporary.Path, ModelConfig.FileName));
        manual_seed(5);
        using CausalLm a = HuggingFaceCheckpoint.Load(temporary.Path);
        manual_seed(5);
        using CausalLm b = HuggingFaceCheckpoint.Load(temporary.Path);
        Assert.IsType<LlamaForCausalLM>(a);
        Assert.All(a.state_dict(), p => Assert.True(TinyModels.Same(p.Value, b.state_dict()[p.Key]), p.Key));
    }
}
