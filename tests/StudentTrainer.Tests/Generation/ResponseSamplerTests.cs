using Distill.StudentTrainer.Generation;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Tests.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Generation;

public class ResponseSamplerTests
{
    private static readonly GenerationOptions Greedy = new() { Temperature = 0, MaxNewTokens = 10 };

    [Theory]
    [InlineData(1.0, 0, 1.0)]
    [InlineData(0.8, 10, 0.9)]
    [InlineData(0.0, 0, 1.0)]
    public void Equal_length_prompts_give_the_tokens_of_the_text_generator(double temperature, int topK, double topP)
    {
        using var model = TinyModels.Create();
        using var prompts = TinyModels.RandomIds(3, 5, seed: 31);
        var options = new GenerationOptions { MaxNewTokens = 12, Temperature = temperature, TopK = topK, TopP = topP, Seed = 4 };
        using var generated = TextGenerator.Generate(model, prompts, options);

        int[][] responses = ResponseSampler.Sample(model, Rows(prompts), options);

        Assert.Equal(Rows(generated[.., 5..]), responses);
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(1.0, 1)]
    public void Each_left_padded_row_gets_the_response_it_gets_alone(double temperature, int topK)
    {
        using var model = TinyModels.Create();
        int[][] prompts = [TinyModels.RandomPrompt(9, seed: 32), TinyModels.RandomPrompt(3, seed: 33), TinyModels.RandomPrompt(6, seed: 34)];
        var options = Greedy with { Temperature = temperature, TopK = topK };

        int[][] batched = ResponseSampler.Sample(model, prompts, options);

        for (int b = 0; b < prompts.Length; b++)
        {
            using var alone = tensor(prompts[b].Select(i => (long)i).ToArray(), [1, prompts[b].Length]);
            using var generated = TextGenerator.Generate(model, alone, options);
            Assert.Equal(Rows(generated[.., prompts[b].Length..])[0], batched[b]);
        }
    }

    [Fact]
    public void A_row_ends_with_the_first_eos_and_emits_nothing_after_it()
    {
        using var model = TinyModels.Create();
        int[][] prompts = [TinyModels.RandomPrompt(4, seed: 35), TinyModels.RandomPrompt(7, seed: 36)];
        int[][] free = ResponseSampler.Sample(model, prompts, Greedy);
        int eos = free[0][3];

        int[][] stopped = ResponseSampler.Sample(model, prompts, Greedy with { EosId = eos });

        for (int b = 0; b < prompts.Length; b++)
        {
            int first = Array.IndexOf(free[b], eos);
            int[] expected = first < 0 ? free[b] : free[b][..(first + 1)];
            Assert.Equal(expected, stopped[b]);
        }
        Assert.InRange(stopped[0].Length, 1, 4);
        Assert.Equal(eos, stopped[0][^1]);
    }

    [Fact]
    public void Sampling_stops_at_max_new_tokens_and_at_the_context_of_the_longest_prompt()
    {
        using var model = TinyModels.Create();
        int context = model.Config.ContextLength;
        int[][] prompts = [TinyModels.RandomPrompt(context - 4, seed: 37), TinyModels.RandomPrompt(2, seed: 38)];

        Assert.All(ResponseSampler.Sample(model, prompts, Greedy with { MaxNewTokens = 50 }), r => Assert.Equal(4, r.Length));
        Assert.All(ResponseSampler.Sample(model, prompts, Greedy with { MaxNewTokens = 3 }), r => Assert.Equal(3, r.Length));
        Assert.Empty(ResponseSampler.Sample(model, [TinyModels.RandomPrompt(context, seed: 39)], Greedy)[0]);
        Assert.Throws<ArgumentException>(() => ResponseSampler.Sample(model, [TinyModels.RandomPrompt(context + 1, seed: 40)], Greedy));
    }

    [Fact]
    public void Same_seed_same_responses_other_seed_other_responses()
    {
        using var model = TinyModels.Create();
        int[][] prompts = [TinyModels.RandomPrompt(5, seed: 41), TinyModels.RandomPrompt(2, seed: 42), TinyModels.RandomPrompt(8, seed: 43)];
        var options = new GenerationOptions { MaxNewTokens = 12, Seed = 9 };

        int[][] a = ResponseSampler.Sample(model, prompts, options);
        int[][] b = ResponseSampler.Sample(model, prompts, options);
        int[][] c = ResponseSampler.Sample(model, prompts, options with { Seed = 10 });

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Sampling_leaves_no_gradients_and_restores_the_training_flag(bool training)
    {
        using var model = TinyModels.Create();
        model.train(training);

        ResponseSampler.Sample(model, [TinyModels.RandomPrompt(5, seed: 44), TinyModels.RandomPrompt(3, seed: 45)], new GenerationOptions { MaxNewTokens = 6 });

        Assert.Equal(training, model.training);
        Assert.True(is_grad_enabled());
        Assert.All(model.parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void Dropout_is_off_while_sampling_a_model_in_training_mode()
    {
        using var model = TinyModels.Create(TinyModels.Config with { ResidualDropout = 0.5, EmbeddingDropout = 0.5 });
        int[][] prompts = [TinyModels.RandomPrompt(5, seed: 46)];
        int[][] inEval = ResponseSampler.Sample(model, prompts, Greedy);
        model.train();

        Assert.Equal(inEval, ResponseSampler.Sample(model, prompts, Greedy));
    }

    [Fact]
    public void No_prompts_or_an_empty_prompt_are_refused()
    {
        using var model = TinyModels.Create();
        Assert.Throws<ArgumentException>(() => ResponseSampler.Sample(model, Array.Empty<int[]>(), Greedy));
        Assert.Throws<ArgumentException>(() => ResponseSampler.Sample(model, [TinyModels.RandomPrompt(3, seed: 47), []], Greedy));
        Assert.Throws<ArgumentException>(() => ResponseSampler.Sample(model, [TinyModels.RandomPrompt(3, seed: 48)], Greedy with { TopP = 0 }));
    }

    private static int[][] Rows(Tensor ids)
    {
        long[] flat = ids.contiguous().data<long>().ToArray();
        int width = (int)ids.shape[1];
        return Enumerable.Range(0, (int)ids.shape[0]).Select(r => flat[(r * width)..((r + 1) * width)].Select(i => (int)i).ToArray()).ToArray();
    }
}
