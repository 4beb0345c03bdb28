using Distill.StudentTrainer.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Model;

public class LlamaTests
{
    private static LlamaConfig Config(string type = "llama", int kvHeads = 2, bool tied = false) => new()
    {
        ModelType = type, VocabSize = 97, HiddenSize = 32, IntermediateSize = 48, HiddenLayers = 2, AttentionHeads = 4,
        KeyValueHeadCount = kvHeads, MaxPositionEmbeddings = 32, TieWordEmbeddings = tied,
    };

    private static CausalLm Create(LlamaConfig config, long seed = 7)
    {
        manual_seed(seed);
        CausalLm model = config.CreateModel();
        model.eval();
        return model;
    }

    [Theory]
    [InlineData("llama", 2)]
    [InlineData("qwen2", 1)]
    [InlineData("qwen3", 2)]
    [InlineData("mistral", 4)]
    public void Incremental_decoding_with_the_cache_equals_the_full_pass(string type, int kvHeads)
    {
        using CausalLm model = Create(Config(type, kvHeads));
        using Tensor ids = TinyModels.RandomIds(2, 20, seed: 3);
        using Tensor full = model.Forward(ids);
        using KvCache cache = model.NewCache();
        using Tensor prefix = model.Forward(ids[.., ..7], cache: cache);
        Assert.True(TinyModels.MaxAbsDiff(prefix, full[.., ..7]) < 1e-5);
        for (int i = 7; i < 20; i++)
        {
            using Tensor step = model.Forward(ids[.., i..(i + 1)], cache: cache);
            Assert.True(TinyModels.MaxAbsDiff(step, full[.., i..(i + 1)]) < 1e-5, $"position {i}");
        }
        Assert.Equal(20, cache.Length);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Padded_batch_equals_each_sequence_alone(bool padLeft)
    {
        using CausalLm model = Create(Config("qwen3"));
        PaddedBatches.AssertEachRowEqualsItAlone((ids, mask, positions) => model.Forward(ids, mask, positions), padLeft);
    }

    [Fact]
    public void Future_tokens_do_not_change_earlier_logits()
    {
        using CausalLm model = Create(Config());
        using Tensor ids = TinyModels.RandomIds(1, 16, seed: 2);
        using Tensor changed = ids.clone();
        changed[0, 10] = tensor((ids[0, 10].item<long>() + 1) % 97);
        using Tensor a = model.Forward(ids);
        using Tensor b = model.Forward(changed);
        Assert.True(TinyModels.MaxAbsDiff(a[.., ..10], b[.., ..10]) < 1e-6);
        Assert.True(TinyModels.MaxAbsDiff(a[.., 10..], b[.., 10..]) > 1e-4);
    }

    [Fact]
    public void Random_initialisation_follows_transformers()
    {
        var config = Config("qwen3") with { HiddenSize = 128, IntermediateSize = 256, InitializerRange = 0.05, AttentionBias = true };
        using CausalLm model = Create(config);
        foreach ((string name, Tensor p) in model.named_parameters())
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal))
                Assert.True(p.eq(1).all().item<bool>(), name);
            else if (name.EndsWith(".bias", StringComparison.Ordinal))
                Assert.True(p.eq(0).all().item<bool>(), name);
            else
            {
                double std = p.std().item<float>(), mean = p.mean().item<float>();
                Assert.True(Math.Abs(std - 0.05) < 0.005, $"{name}: std {std}");
                Assert.True(Math.Abs(mean) < 0.005, $"{name}: mean {mean}");
            }
        }
        Assert.Contains(model.named_parameters(), p => p.name == "model.layers.0.self_attn.q_norm.weight");
        Assert.Contains(model.named_parameters(), p => p.name == "model.layers.1.self_attn.k_norm.weight");
    }

    [Fact]
    public void A_tied_head_is_the_embedding_and_is_counted_once()
    {
        using CausalLm tied = Create(Config(tied: true));
        using CausalLm untied = Create(Config(tied: false));
        Assert.Equal(97 * 32, untied.ParameterCount - tied.ParameterCount);
        Assert.DoesNotContain(tied.named_parameters(), p => p.name == "lm_head.weight");
        Assert.Contains(untied.named_parameters(), p => p.name == "lm_head.weight");
        // 2 layers × (q 32·32 + k, v 32·16 each + o 32·32 + gate, up 32·48 each + down 48·32 + 2 norms 32) + embedding + final norm
        long perLayer = 32 * 32 + 2 * 32 * 16 + 32 * 32 + 3 * 32 * 48 + 2 * 32;
        Assert.Equal(2 * perLayer + 97 * 32 + 32, tied.ParameterCount);
    }

    [Fact]
    public void Biases_follow_the_model_type()
    {
        static string[] Biases(LlamaConfig c)
        {
            using CausalLm m = Create(c);
            return m.named_parameters().Select(p => p.name).Where(n => n.EndsWith(".bias", StringComparison.Ordinal) && n.Contains("layers.0.")).Order().ToArray();
        }
        Assert.Equal(["model.layers.0.self_attn.k_proj.bias", "model.layers.0.self_attn.q_proj.bias", "model.layers.0.self_attn.v_proj.bias"], Biases(Config("qwen2")));
        Assert.Empty(Biases(Config("llama")));
        Assert.Equal(7, Biases(Config("llama") with { AttentionBias = true, MlpBias = true }).Length);
    }

    [Fact]
    public void No_rotary_buffer_is_saved()
    {
        using CausalLm model = Create(Config());
        Assert.DoesNotContain(model.state_dict().Keys, k => k.Contains("inv_freq"));
    }

    [Fact]
    public void Default_inverse_frequencies_are_one_over_theta_to_the_two_i_over_d()
    {
        using Tensor inverse = new RotaryScaling { Theta = 10000 }.InverseFrequencies(8);
        float[] expected = [1f, 0.1f, 0.01f, 0.001f];
        float[] actual = inverse.data<float>().ToArray();
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], actual[i], 1e-6f);
    }

    [Fact]
    public void Linear_scaling_divides_every_frequency_by_the_factor()
    {
        using Tensor plain = new RotaryScaling().InverseFrequencies(16);
        using Tensor linear = new RotaryScaling { RopeType = "linear", Factor = 4 }.InverseFrequencies(16);
        Assert.True(TinyModels.MaxAbsDiff(plain.div(4), linear) == 0);
    }

    [Fact]
    public void Llama3_scaling_keeps_high_frequencies_divides_low_ones_and_blends_between()
    {
        var scaling = new RotaryScaling
        {
            RopeType = "llama3", Theta = 500000, Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 8192,
        };
        using Tensor plain = new RotaryScaling { Theta = 500000 }.InverseFrequencies(128);
        using Tensor scaled = scaling.InverseFrequencies(128);
        float[] p = plain.data<float>().ToArray(), s = scaled.data<float>().ToArray();
        for (int i = 0; i < p.Length; i++)
        {
            double wavelength = 2 * Math.PI / p[i];
            double expected = wavelength < 8192 / 4.0 ? p[i]
                : wavelength > 8192 / 1.0 ? p[i] / 8.0
                : (1 - (8192 / wavelength - 1) / 3) * p[i] / 8 + (8192 / wavelength - 1) / 3 * p[i];
            Assert.True(Math.Abs(expected - s[i]) <= 1e-6 * Math.Abs(expected), $"frequency {i}: {s[i]} vs {expected}");
        }
        Assert.Equal(p[0], s[0]);
        Assert.Equal(p[^1] / 8, s[^1], 1e-12f);
    }

    [Theory]
    [InlineData("""{"rope_scaling": {"type": "linear", "factor": 2.0}}""", "linear", 10000.0, 2.0)]
    [InlineData("""{"rope_scaling": {"rope_type": "default"}, "rope_theta": 5.0}""", "default", 5.0, 1.0)]
    [InlineData("""{"rope_parameters": {"rope_type": "linear", "factor": 3.0, "rope_theta": 77.0}}""", "linear", 77.0, 3.0)]
    [InlineData("""{"rope_scaling": null}""", "default", 10000.0, 1.0)]
    public void Rope_scaling_is_read_from_either_form(string fields, string type, double theta, double factor)
    {
        string json = $$"""{"model_type": "llama", "vocab_size": 10, "hidden_size": 8, "num_attention_heads": 2, {{fields[1..]}}""";
        var config = (LlamaConfig)ModelConfig.Parse(json, "test");
        RotaryScaling scaling = RotaryScaling.From(config);
        Assert.Equal((type, theta, factor), (scaling.RopeType, scaling.Theta, scaling.Factor));
    }

    [Theory]
    [InlineData("""{"rope_type": "yarn", "factor": 4.0}""", "rope type 'yarn' is not supported (default, linear, llama3)")]
    [InlineData("""{"type": "dynamic", "factor": 4.0}""", "rope type 'dynamic' is not supported (default, linear, llama3)")]
    [InlineData("""{"rope_type": "linear"}""", "rope type 'linear' needs rope_scaling.factor")]
    [InlineData("""{"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0}""", "rope type 'llama3' needs rope_scaling.original_max_position_embeddings")]
    public void Unsupported_or_incomplete_rope_scaling_is_refused_in_one_line(string scaling, string message)
    {
        string json = $$"""{"model_type": "llama", "vocab_size": 10, "hidden_size": 8, "num_attention_heads": 2, "rope_scaling": {{scaling}}}""";
        var e = Assert.Throws<InvalidDataException>(() => ModelConfig.Parse(json, "config.json"));
        Assert.Equal($"config.json: {message}", e.Message);
    }

    [Fact]
    public void A_bfloat16_model_runs_with_float32_norms_and_rotation()
    {
        using CausalLm model = Create(Config("qwen3"));
        using Tensor ids = TinyModels.RandomIds(2, 10, seed: 8);
        using Tensor full = model.Forward(ids);
        model.to(ScalarType.BFloat16);
        using Tensor half = model.Forward(ids);
        Assert.Equal(ScalarType.BFloat16, half.dtype);
        using Tensor halfAsFloat = half.to(ScalarType.Float32);
        Assert.True(TinyModels.MaxAbsDiff(full, halfAsFloat) < 0.1);
    }
}
