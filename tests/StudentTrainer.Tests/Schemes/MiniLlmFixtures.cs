using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Schemes;
using Distill.StudentTrainer.Tests.Distillation;

namespace Distill.StudentTrainer.Tests.Schemes;

/// <summary>A tiny student, prompt/response pairs cut from a patterned token stream, and MiniLLM options that run in moments.</summary>
internal static class MiniLlmFixtures
{
    public static readonly Gpt2Config StudentConfig = Gpt2Config.Project(vocab: 16, context: 16, width: 16, layers: 1, heads: 2, dropout: 0.0);

    public static readonly Gpt2Config TeacherConfig = Gpt2Config.Project(vocab: 16, context: 16, width: 32, layers: 2, heads: 2, dropout: 0.0);

    /// <summary>
    /// <paramref name="count"/> pairs of <paramref name="responseLength"/>-token responses; prompts of 5 tokens, or of 3 to 5
    /// when <paramref name="equalPrompts"/> is false.
    /// </summary>
    public static TokenizedPair[] Pairs(int count, bool equalPrompts = true, int responseLength = 6, int seed = 3)
    {
        TokenStream stream = DistillationTrainerTests.Pattern(count * 16, seed);
        return [.. Enumerable.Range(0, count).Select(i =>
        {
            int promptLength = equalPrompts ? 5 : 3 + i % 3;
            int[] tokens = stream.Read(i * 16, promptLength + responseLength);
            return new TokenizedPair(tokens[..promptLength], tokens[promptLength..]);
        })];
    }

    public static MiniLlmTrainerOptions Options(int steps = 4) => new()
    {
        Student = StudentConfig, Steps = steps, BatchSize = 4, PpoEpochs = 2, TopK = 5, LmBatchSize = 4, LmSequenceLength = 15,
        PeakLearningRate = 3e-3, FinalLearningRate = 3e-4, WarmupSteps = 2, EvalInterval = 100, CheckpointInterval = 2, Seed = 5,
    };

    /// <summary>Row <paramref name="row"/> of a 2-D tensor as longs.</summary>
    public static long[] Row(TorchSharp.torch.Tensor tensor, int row) => tensor[row].cpu().data<long>().ToArray();
}
