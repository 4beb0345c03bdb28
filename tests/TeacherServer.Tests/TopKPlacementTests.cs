using System.Net.Http.Json;
using Distill.Shared.Wire;
using Distill.TeacherServer.Tests.Support;

namespace Distill.TeacherServer.Tests;

/// <summary>
/// A server that selects the top-k in the graph answers as one that selects it in C#: the same ids in the same order,
/// the same log-probs and next-token log-probs, for whole sequences, a shared start and per-row starts; generation works.
/// </summary>
public sealed class TopKPlacementTests(PlacementHosts hosts) : IClassFixture<PlacementHosts>
{
    /// <summary>Both paths read one LogSoftmax output of the same graph; only the selection differs.</summary>
    private const float Tolerance = 1e-6f;

    private static int[][] Sequences(int seed, params int[] lengths)
    {
        var random = new Random(seed);
        return lengths.Select(length => Enumerable.Range(0, length).Select(_ => random.Next(0, 250)).ToArray()).ToArray();
    }

    private async Task<(TopKResult Host, TopKResult Graph)> AskBothAsync(string model, TopKRequest request)
    {
        await hosts.Host.WaitForModelAsync(model);
        await hosts.Graph.WaitForModelAsync(model);
        return (await TopKCalls.BinaryAsync(hosts.Host.Client, model, request), await TopKCalls.BinaryAsync(hosts.Graph.Client, model, request));
    }

    internal static void AssertSameAnswers(SequenceTopK host, SequenceTopK graph)
    {
        Assert.Equal(host.Length, graph.Length);
        Assert.Equal(host.K, graph.K);
        Assert.Equal(host.Ids, graph.Ids);
        for (var i = 0; i < host.Logprobs.Length; i++)
        {
            Assert.Equal(host.Logprobs[i], graph.Logprobs[i], Tolerance);
        }
        for (var t = 0; t < host.Length; t++)
        {
            Assert.Equal(host.NextTokenLogprobs[t], graph.NextTokenLogprobs[t], Tolerance);
        }
    }

    private static void AssertSameAnswers(TopKResult host, TopKResult graph)
    {
        Assert.Equal(host.Sequences.Count, graph.Sequences.Count);
        for (var s = 0; s < host.Sequences.Count; s++)
        {
            AssertSameAnswers(host.Sequences[s], graph.Sequences[s]);
        }
    }

    [Theory]
    [InlineData(PlacementTeachers.Austen, 17, 1f)]
    [InlineData(PlacementTeachers.Austen, PlacementHosts.MaxK, 0.7f)]
    [InlineData(PlacementTeachers.Llama, 1, 1f)]
    [InlineData(PlacementTeachers.Llama, 64, 2f)]
    public async Task Whole_sequences_are_answered_alike(string model, int k, float temperature)
    {
        var (host, graph) = await AskBothAsync(model, new TopKRequest(Sequences(1, 12, 5, 9), k, temperature));
        AssertSameAnswers(host, graph);
    }

    [Theory]
    [InlineData(PlacementTeachers.Austen)]
    [InlineData(PlacementTeachers.Llama)]
    public async Task Answers_from_a_shared_start_are_alike(string model)
    {
        var sequences = Sequences(2, 14, 10);
        await AskBothAsync(model, new TopKRequest(sequences, 8));
        var (host, graph) = await AskBothAsync(model, new TopKRequest(sequences, 8, Start: 6));
        AssertSameAnswers(host, graph);
    }

    [Theory]
    [InlineData(PlacementTeachers.Austen)]
    [InlineData(PlacementTeachers.Llama)]
    public async Task Answers_from_per_row_starts_are_alike(string model)
    {
        var sequences = Sequences(3, 20, 7, 13);
        int[] starts = [17, 0, 9];
        await AskBothAsync(model, new TopKRequest(sequences, 5, Starts: [3, 0, 2]));
        var (host, graph) = await AskBothAsync(model, new TopKRequest(sequences, 5, Starts: starts));
        Assert.Equal(starts, graph.Starts!);
        AssertSameAnswers(host, graph);
    }

    [Theory]
    [InlineData(PlacementTeachers.Austen)]
    [InlineData(PlacementTeachers.Llama)]
    public async Task Generation_samples_the_same_continuations(string model)
    {
        await hosts.Host.WaitForModelAsync(model);
        await hosts.Graph.WaitForModelAsync(model);
        var request = new GenerateRequest(Sequences(4, 3, 6), MaxNewTokens: 8, Temperature: 0.9f, Seed: 5, StopAtEos: false);

        var host = await GenerateAsync(hosts.Host, model, request);
        var graph = await GenerateAsync(hosts.Graph, model, request);

        Assert.Equal(host.Completions.Select(c => c.Tokens.Length), graph.Completions.Select(c => c.Tokens.Length));
        Assert.All(graph.Completions, c => Assert.Equal(8, c.Tokens.Length));
        for (var i = 0; i < host.Completions.Count; i++)
        {
            Assert.Equal(host.Completions[i].Tokens, graph.Completions[i].Tokens);
        }
    }

    private static async Task<GenerateResponse> GenerateAsync(TeacherHost host, string model, GenerateRequest request)
    {
        using var response = await host.Client.PostAsJsonAsync($"/v1/models/{model}/generate", request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<GenerateResponse>())!;
    }
}
