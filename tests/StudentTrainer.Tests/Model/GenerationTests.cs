using Distill.StudentTrainer.Generation;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Model;

public class GenerationTests
{
    [Theory]
    [InlineData(0.0, 0, 1.0)]
    [InlineData(1.0, 0, 1.0)]
    [InlineData(0.8, 10, 0.9)]
    public void Cached_generation_gives_the_same_tokens_as_recomputing_the_prefix(double temperature, int topK, double topP)
    {
        using var model = TinyModels.Create();
        using var prompt = TinyModels.RandomIds(2, 4, seed: 11);
        var options = new GenerationOptions { MaxNewTokens = 15, Temperature = temperature, TopK = topK, TopP = topP, Seed = 3 };
        using var cached = TextGenerator.Generate(model, prompt, options);
        using var recomputed = TextGenerator.Generate(model, prompt, options with { UseKvCache = false });
        Assert.Equal(new long[] { 2, 19 }, cached.shape);
        Assert.True(TinyModels.Same(cached, recomputed));
        Assert.True(TinyModels.Same(cached[.., ..4], prompt));
    }

    [Fact]
    public void Same_seed_same_tokens_other_seed_other_tokens()
    {
        using var model = TinyModels.Create();
        using var prompt = TinyModels.RandomIds(1, 3, seed: 12);
        var options = new GenerationOptions { MaxNewTokens = 20, Seed = 1 };
        using var a = TextGenerator.Generate(model, prompt, options);
        using var b = TextGenerator.Generate(model, prompt, options);
        using var c = TextGenerator.Generate(model, prompt, options with { Seed = 2 });
        Assert.True(TinyModels.Same(a, b));
        Assert.False(TinyModels.Same(a, c));
    }

    [Fact]
    public void Generation_stops_at_the_context_length()
    {
        using var model = TinyModels.Create();
        using var prompt = TinyModels.RandomIds(1, 20, seed: 13);
        using var output = TextGenerator.Generate(model, prompt, new GenerationOptions { MaxNewTokens = 50 });
        Assert.Equal(model.Config.ContextLength, output.shape[1]);
    }

    [Fact]
    public void A_sequence_that_emits_eos_is_padded_with_eos_and_generation_stops_when_all_ended()
    {
        using var model = TinyModels.Create();
        using var prompt = TinyModels.RandomIds(2, 3, seed: 14);
        var greedy = new GenerationOptions { MaxNewTokens = 12, Temperature = 0 };
        using var free = TextGenerator.Generate(model, prompt, greedy);
        int eos = (int)free[0, 5].item<long>();
        using var stopped = TextGenerator.Generate(model, prompt, greedy with { EosId = eos });
        long[] first = stopped[0].data<long>().ToArray();
        int firstEos = Array.IndexOf(first, eos, 3);
        Assert.InRange(firstEos, 3, 5);
        Assert.All(first[firstEos..], id => Assert.Equal(eos, id));
        Assert.True(TinyModels.Same(stopped[0, ..(firstEos + 1)], free[0, ..(firstEos + 1)]));
    }

    [Fact]
    public void Top_k_of_one_and_tiny_top_p_are_greedy()
    {
        using var generator = new Generator(5);
        using var logits = randn(4, 50, generator: generator);
        using var argmax = logits.argmax(-1, keepdim: true);
        using var topK = TokenSampler.Sample(logits, new GenerationOptions { TopK = 1 }, generator);
        using var topP = TokenSampler.Sample(logits, new GenerationOptions { TopP = 1e-6 }, generator);
        Assert.True(TinyModels.Same(topK, argmax));
        Assert.True(TinyModels.Same(topP, argmax));
    }

    [Fact]
    public void Top_p_keeps_exactly_the_nucleus()
    {
        // Probabilities 0.5, 0.3, 0.15, 0.05: p = 0.7 keeps the first two only.
        using var logits = log(tensor(new float[] { 0.15f, 0.5f, 0.05f, 0.3f })).unsqueeze(0).repeat(2000, 1);
        using var generator = new Generator(6);
        using var samples = TokenSampler.Sample(logits, new GenerationOptions { TopP = 0.7 }, generator);
        long[] ids = samples.data<long>().ToArray();
        Assert.All(ids, id => Assert.Contains(id, new long[] { 1, 3 }));
        double share = ids.Count(id => id == 1) / 2000.0;
        Assert.InRange(share, 0.5 / 0.8 - 0.05, 0.5 / 0.8 + 0.05);
    }

    [Theory]
    [InlineData(-1, 1.0, 0, 1.0)]
    [InlineData(5, -0.1, 0, 1.0)]
    [InlineData(5, double.NaN, 0, 1.0)]
    [InlineData(5, 1.0, -2, 1.0)]
    [InlineData(5, 1.0, 0, 0.0)]
    [InlineData(5, 1.0, 0, 1.5)]
    public void Invalid_options_are_refused(int maxNew, double temperature, int topK, double topP)
    {
        using var model = TinyModels.Create();
        using var prompt = TinyModels.RandomIds(1, 3, seed: 15);
        var options = new GenerationOptions { MaxNewTokens = maxNew, Temperature = temperature, TopK = topK, TopP = topP };
        Assert.Throws<ArgumentException>(() => TextGenerator.Generate(model, prompt, options));
    }
}
