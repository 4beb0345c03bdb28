using System.Net;
using Distill.Shared.Wire;
using Distill.TeacherServer.Hosting;
using Distill.TeacherServer.Tests.Support;

namespace Distill.TeacherServer.Tests;

/// <summary>
/// Top-k with a start per sequence: each row's answer equals the same positions of a whole-sequence answer, rows of
/// uneven lengths continued token by token reuse every row's whole prefix, and bad starts are a 400.
/// </summary>
public sealed class PerSequenceStartsTests(ExportedModels exported) : IClassFixture<ExportedModels>
{
    private const int K = 5;
    private const float Tolerance = 1e-5f;

    private TeacherHost Serve(string name) => TeacherHost.Start(models => ExportedModels.CopyFolder(exported.Optimum, Path.Combine(models, name)));

    private static int[] Tokens(int seed, int length)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => random.Next(1, 250)).ToArray();
    }

    [Fact]
    public async Task Each_row_is_answered_from_its_own_start_as_the_whole_answer_sliced_in_binary_and_json()
    {
        const string model = "rows-slices";
        using var host = Serve(model);
        await host.WaitForModelAsync(model);
        int[][] sequences = [Tokens(1, 20), Tokens(2, 7), Tokens(3, 13)];
        int[] starts = [17, 0, 12];

        var whole = await TopKCalls.BinaryAsync(host.Client, model, new TopKRequest(sequences, K));
        var binary = await TopKCalls.BinaryAsync(host.Client, model, new TopKRequest(sequences, K, Starts: starts));
        var json = await TopKCalls.JsonAsync(host.Client, model, new TopKRequest(sequences, K, Starts: starts));

        Assert.Equal(starts, binary.Starts!);
        Assert.Equal(starts, json.Starts!);
        AnswerSlices.AssertEqual(whole, binary, sequences, starts, Tolerance);
        for (var s = 0; s < sequences.Length; s++)
        {
            Assert.Equal(binary.Sequences[s].Ids, json.Sequences[s].Ids.SelectMany(i => i));
        }
    }

    [Fact]
    public async Task Uneven_rows_continued_token_by_token_reuse_every_rows_whole_prefix_and_stay_exact()
    {
        const string model = "rows-steps";
        using var host = Serve(model);
        await host.WaitForModelAsync(model);
        var hitPositions = TeacherMetrics.PrefixCacheHitPositions.WithLabels(model);
        List<int>[] rows = [[.. Tokens(4, 5)], [.. Tokens(5, 19)], [.. Tokens(6, 11)]];
        var random = new Random(9);
        await Ask(host, model, rows);
        for (var step = 0; step < 12; step++)
        {
            foreach (var row in rows)
            {
                row.Add(random.Next(1, 250));
            }
            var before = hitPositions.Value;
            var (sequences, starts, answer) = await Ask(host, model, rows);
            Assert.Equal(starts.Sum(), hitPositions.Value - before);              // every row found all it had before
            AnswerSlices.AssertEqual(await TopKCalls.BinaryAsync(host.Client, model, new TopKRequest(sequences, K)), answer, sequences, starts, Tolerance);
        }

        static async Task<(int[][], int[], TopKResult)> Ask(TeacherHost host, string model, List<int>[] rows)
        {
            var sequences = rows.Select(r => r.ToArray()).ToArray();
            var starts = sequences.Select(s => s.Length - 1).ToArray();
            return (sequences, starts, await TopKCalls.BinaryAsync(host.Client, model, new TopKRequest(sequences, K, Starts: starts)));
        }
    }

    [Theory]
    [InlineData("""{"sequences":[[1,2,3],[4,5]],"k":2,"starts":[0,-1]}""", "starts[1] = -1 is negative")]
    [InlineData("""{"sequences":[[1,2,3],[4,5]],"k":2,"starts":[3,0]}""", "starts[0] = 3 is past the end: sequences[0] has 3 positions")]
    [InlineData("""{"sequences":[[1,2,3],[4,5]],"k":2,"starts":[1]}""", "starts has 1 entries for 2 sequences")]
    [InlineData("""{"sequences":[[1,2,3],[4,5]],"k":2,"start":1,"starts":[1,1]}""", "start = 1 and starts are both given")]
    public async Task Bad_starts_in_json_are_a_400_saying_what_is_wrong(string body, string detail)
    {
        const string model = "rows-bad-json";
        using var host = Serve(model);
        await host.WaitForModelAsync(model);
        using var response = await host.Client.PostAsync($"/v1/models/{model}/topk", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        await AssertProblemAsync(response, detail);
    }

    [Theory]
    [InlineData(-1, "starts[1] = -1 is negative")]
    [InlineData(2, "starts[1] = 2 is past the end")]
    public async Task Bad_starts_in_binary_are_a_400_saying_what_is_wrong(int second, string detail)
    {
        const string model = "rows-bad-binary";
        using var host = Serve(model);
        await host.WaitForModelAsync(model);
        using var response = await TopKCalls.SendBinaryAsync(host.Client, model, new TopKRequest([[1, 2, 3], [4, 5]], 2, Starts: [0, second]));
        await AssertProblemAsync(response, detail);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, string detail)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = System.Text.Json.JsonDocument.Parse(body);
        Assert.Contains(detail, problem.RootElement.GetProperty("detail").GetString());
    }
}
