using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Model;

/// <summary>Small random models and inputs with fixed seeds.</summary>
internal static class TinyModels
{
    public static readonly Gpt2Config Config = Gpt2Config.Project(vocab: 97, context: 24, width: 32, layers: 2, heads: 4, dropout: 0.0);

    public static CausalLm Create(ModelConfig? config = null, long seed = 7)
    {
        manual_seed(seed);
        var model = (config ?? Config).CreateModel();
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
