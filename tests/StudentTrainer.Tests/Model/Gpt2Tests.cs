using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Model;

public class Gpt2Tests
{
    [Fact]
    public void Default_configurations_have_the_documented_sizes()
    {
        using var teacher = Gpt2Config.Teacher.CreateModel();
        using var student = Gpt2Config.Student.CreateModel();
        Assert.Equal(6_642_944, teacher.ParameterCount);
        Assert.Equal(1_350_400, student.ParameterCount);
    }

    [Fact]
    public void Logits_have_shape_batch_time_vocab()
    {
        using var model = TinyModels.Create();
        using var ids = TinyModels.RandomIds(3, 10, seed: 1);
        using var logits = model.Forward(ids);
        Assert.Equal(new long[] { 3, 10, 97 }, logits.shape);
    }

    [Fact]
    public void Future_tokens_do_not_change_earlier_logits()
    {
        using var model = TinyModels.Create();
        using var ids = TinyModels.RandomIds(1, 16, seed: 2);
        using var changed = ids.clone();
        changed[0, 10] = tensor((ids[0, 10].item<long>() + 1) % 97);
        using var a = model.Forward(ids);
        using var b = model.Forward(changed);
        Assert.True(TinyModels.MaxAbsDiff(a[.., ..10], b[.., ..10]) < 1e-6);
        Assert.True(TinyModels.MaxAbsDiff(a[.., 10..], b[.., 10..]) > 1e-4);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Padded_batch_equals_each_sequence_alone(bool padLeft)
    {
        using var model = TinyModels.Create();
        PaddedBatches.AssertEachRowEqualsItAlone((ids, mask, positions) => model.Forward(ids, mask, positions), padLeft);
    }

    [Fact]
    public void Incremental_forward_with_cache_equals_full_forward()
    {
        using var model = TinyModels.Create();
        using var ids = TinyModels.RandomIds(2, 20, seed: 3);
        using var full = model.Forward(ids);
        using var cache = new KvCache(model.Config.Layers);
        using var prefix = model.Forward(ids[.., ..7], cache: cache);
        Assert.True(TinyModels.MaxAbsDiff(prefix, full[.., ..7]) < 1e-5);
        for (int t = 7; t < 20; t++)
        {
            using var step = model.Forward(ids[.., t..(t + 1)], cache: cache);
            Assert.True(TinyModels.MaxAbsDiff(step[.., 0], full[.., t]) < 1e-5, $"position {t}");
        }
        Assert.Equal(20, cache.Length);
    }

    [Fact]
    public void Cached_forward_of_left_padded_rows_with_a_growing_mask_equals_the_uncached_forward()
    {
        using var model = TinyModels.Create();
        int[] promptLengths = [10, 3, 7];
        const int width = 10, added = 8, total = width + added;
        using var ids = TinyModels.RandomIds(promptLengths.Length, total, seed: 21);
        using var mask = ones(promptLengths.Length, total, ScalarType.Bool);
        using var positions = zeros(promptLengths.Length, total, ScalarType.Int64);
        for (int b = 0; b < promptLengths.Length; b++)
        {
            int padding = width - promptLengths[b];
            mask[b, ..padding] = zeros(padding, ScalarType.Bool);
            positions[b, padding..] = arange(total - padding, dtype: ScalarType.Int64);
        }
        using var full = model.Forward(ids, mask, positions);

        using var cache = new KvCache(model.Config.Layers);
        using var prefix = model.Forward(ids[.., ..width], mask[.., ..width], positions[.., ..width], cache);
        for (int b = 0; b < promptLengths.Length; b++)
        {
            int padding = width - promptLengths[b];
            Assert.True(TinyModels.MaxAbsDiff(prefix[b, padding..], full[b, padding..width]) < 1e-5, $"prompt of row {b}");
        }
        for (int t = width; t < total; t++)
        {
            using var step = model.Forward(ids[.., t..(t + 1)], mask[.., ..(t + 1)], positions[.., t..(t + 1)], cache);
            Assert.True(TinyModels.MaxAbsDiff(step[.., 0], full[.., t]) < 1e-5, $"position {t}");
        }
        Assert.Equal(total, cache.Length);
    }

    [Fact]
    public void Sequence_longer_than_the_context_is_refused()
    {
        using var model = TinyModels.Create();
        using var ids = TinyModels.RandomIds(1, 25, seed: 4);
        Assert.Throws<ArgumentException>(() => model.Forward(ids));
    }

    [Fact]
    public void Weight_decay_groups_split_matrices_from_vectors()
    {
        using var model = TinyModels.Create();
        var (decay, noDecay) = model.ParameterGroupsForWeightDecay();
        Assert.All(decay, p => Assert.Equal(2, p.dim()));
        Assert.All(noDecay, p => Assert.Equal(1, p.dim()));
        // wte, wpe, and per block c_attn, attn c_proj, c_fc, mlp c_proj.
        Assert.Equal(2 + 4 * model.Config.Layers, decay.Count);
        Assert.Equal(model.ParameterCount, decay.Concat(noDecay).Sum(p => p.numel()));
    }

    [Fact]
    public void Initialisation_follows_gpt2()
    {
        using var model = TinyModels.Create(TinyModels.Config with { EmbeddingSize = 128, LayerCount = 4 }, seed: 5);
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.InRange(parameters["transformer.wte.weight"].std().item<float>(), 0.018, 0.022);
        double residual = 0.02 / Math.Sqrt(8);
        Assert.InRange(parameters["transformer.h.0.attn.c_proj.weight"].std().item<float>(), residual * 0.9, residual * 1.1);
        Assert.Equal(0f, parameters["transformer.h.0.attn.c_attn.bias"].abs().max().item<float>());
        Assert.Equal(1f, parameters["transformer.h.0.ln_1.weight"].min().item<float>());
    }

    [Theory]
    [InlineData(0, 32, 32, 4, 0.0)]
    [InlineData(97, 0, 32, 4, 0.0)]
    [InlineData(97, 24, 30, 4, 0.0)]
    [InlineData(97, 24, 32, 4, 1.0)]
    public void Invalid_configurations_are_refused(int vocab, int context, int embedding, int heads, double dropout)
    {
        var config = Gpt2Config.Project(vocab: vocab, context: context, width: embedding, layers: 4, heads: heads, dropout: dropout);
        Assert.Throws<ArgumentException>(() => config.CreateModel());
    }
}
