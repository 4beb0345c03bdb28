using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Model;

/// <summary>Small random models and inputs with fixed seeds.</summary>
internal static class TinyModels
{
    public static readonly GptConfig Config = new()
    {
        VocabSize = 97, ContextLength = 24, EmbeddingSize = 32, Layers = 2, Heads = 4, Dropout = 0.0,
    };

    public static Gpt Create(GptConfig? config = null, long seed = 7)
    {
        manual_seed(seed);
        var model = new Gpt(config ?? Config);
        model.eval();
        return model;
    }

    public static Tensor RandomIds(long batch, long length, long seed, int vocab = 97)
    {
        using var generator = new Generator((ulong)seed);
        return randint(0, vocab, [batch, length], dtype: ScalarType.Int64, generator: generator);
    }

    /// <summary>One random prompt of <paramref name="length"/> token ids.</summary>
    public static int[] RandomPrompt(int length, long seed)
    {
        using Tensor ids = RandomIds(1, length, seed);
        return ids.data<long>().ToArray().Select(i => (int)i).ToArray();
    }

    public static double MaxAbsDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    public static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
}
