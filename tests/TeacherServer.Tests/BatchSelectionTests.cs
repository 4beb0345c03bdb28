using Distill.TeacherServer.Batching;

namespace Distill.TeacherServer.Tests;

/// <summary>Which waiting rows share a run: rows are grouped by the width their request needs, in arrival order within the token budget.</summary>
public sealed class BatchSelectionTests
{
    private static RowWork Row(int length, int start = 0) => new(Enumerable.Range(1, length).ToArray(), 2, 1f, false, CancellationToken.None, start);

    /// <summary>One request's rows as the batcher queues them, each expected to run <paramref name="widths"/>[i] positions.</summary>
    private static PendingRow[] Request(params int[] widths) => BatchSelection.Classify(widths.Select(w => Row(w)).ToArray(), widths);

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(4, 2)]
    [InlineData(5, 3)]
    [InlineData(256, 8)]
    [InlineData(257, 9)]
    public void The_width_class_is_the_ceiling_of_the_base_2_logarithm(int width, int widthClass) =>
        Assert.Equal(widthClass, BatchSelection.WidthClass(width));

    [Fact]
    public void A_one_token_step_is_not_padded_to_a_window_that_waits_beside_it()
    {
        var step = Request(1, 1, 1);
        var window = Request(256, 256);
        var laterStep = Request(1);
        var pending = new List<PendingRow>([.. step, .. window, .. laterStep]);

        var first = BatchSelection.Take(pending, maxBatchTokens: 16_384);
        var second = BatchSelection.Take(pending, maxBatchTokens: 16_384);

        Assert.Equal([.. step.Select(p => p.Row), laterStep[0].Row], first);
        Assert.Equal(window.Select(p => p.Row), second);
        Assert.Empty(pending);
    }

    [Fact]
    public void A_requests_rows_of_different_widths_share_one_run()
    {
        var request = Request(2, 3, 1, 4, 1);
        var pending = new List<PendingRow>(request);

        Assert.Equal(request.Select(p => p.Row), BatchSelection.Take(pending, maxBatchTokens: 16_384));
    }

    [Fact]
    public void Over_the_budget_a_class_is_split_in_arrival_order_and_other_classes_wait_their_turn()
    {
        var a = Request(4, 4, 4);
        var step = Request(1);
        var b = Request(3);
        var pending = new List<PendingRow>([.. a, .. step, .. b]);

        Assert.Equal(4 * 4, BatchSelection.PaddedTokens(pending)); // the oldest class: four rows (a and b) at width 4
        Assert.Equal([a[0].Row, a[1].Row], BatchSelection.Take(pending, maxBatchTokens: 8));
        Assert.Equal([a[2].Row, b[0].Row], BatchSelection.Take(pending, maxBatchTokens: 8));
        Assert.Equal([step[0].Row], BatchSelection.Take(pending, maxBatchTokens: 8));
    }

    [Fact]
    public void The_first_row_goes_even_when_it_alone_is_over_the_budget()
    {
        var pending = new List<PendingRow>(Request(40));
        Assert.Single(BatchSelection.Take(pending, maxBatchTokens: 8));
    }
}
