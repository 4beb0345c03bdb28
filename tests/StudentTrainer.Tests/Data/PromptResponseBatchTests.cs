using Distill.StudentTrainer.Data;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Data;

public class PromptResponseBatchTests
{
    private const int Pad = 99;

    private static readonly TokenizedPair[] Pairs = [new([1, 2, 3], [4, 5]), new([7], [8])];

    private static long[][] Rows(Tensor t) => Enumerable.Range(0, (int)t.shape[0]).Select(b => t[b].data<long>().ToArray()).ToArray();

    private static bool[][] Flags(Tensor t) => Enumerable.Range(0, (int)t.shape[0]).Select(b => t[b].data<bool>().ToArray()).ToArray();

    [Fact]
    public void Targets_are_shifted_inputs_and_only_response_targets_count()
    {
        using var batch = PromptResponseBatch.Build(Pairs, CPU, Pad);

        Assert.Equal(ScalarType.Int64, batch.Inputs.dtype);
        Assert.Equal(ScalarType.Bool, batch.Mask.dtype);
        Assert.Equal([[1, 2, 3, 4], [7, Pad, Pad, Pad]], Rows(batch.Inputs));
        Assert.Equal([[2, 3, 4, 5], [8, Pad, Pad, Pad]], Rows(batch.Targets));
        Assert.Equal([[false, false, true, true], [true, false, false, false]], Flags(batch.Mask));
    }

    [Fact]
    public void A_batch_rebuilt_from_prompts_and_other_responses_uses_those_responses()
    {
        using var batch = PromptResponseBatch.Build([[1, 2, 3], [7]], [[6], [8, 9, 10, 11]], CPU, Pad);

        Assert.Equal([[1, 2, 3, Pad], [7, 8, 9, 10]], Rows(batch.Inputs));
        Assert.Equal([[2, 3, 6, Pad], [8, 9, 10, 11]], Rows(batch.Targets));
        Assert.Equal([[false, false, true, false], [true, true, true, true]], Flags(batch.Mask));
    }

    [Fact]
    public void Mismatched_or_empty_parts_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => PromptResponseBatch.Build([[1]], [[2], [3]], CPU));
        Assert.Throws<ArgumentException>(() => PromptResponseBatch.Build([[1]], [Array.Empty<int>()], CPU));
        Assert.Throws<ArgumentException>(() => PromptResponseBatch.Build([Array.Empty<int>()], [[2]], CPU));
        Assert.Throws<ArgumentException>(() => PromptResponseBatch.Build(Array.Empty<TokenizedPair>(), CPU));
    }

    [Fact]
    public void Prompts_alone_are_left_padded_with_positions_from_each_first_token()
    {
        using var prompts = PromptBatch.Build(Pairs, CPU, Pad);

        Assert.Equal([[1, 2, 3], [Pad, Pad, 7]], Rows(prompts.Ids));
        Assert.Equal([[true, true, true], [false, false, true]], Flags(prompts.AttentionMask));
        Assert.Equal([[0, 1, 2], [0, 0, 0]], Rows(prompts.PositionIds));
    }
}
