// runtime/irc/irc-connection.ts: what the hub writes to an IRC member is read whole, one frame or several.
import { expect } from 'chai';
import { decodeShared } from '../../runtime/irc/irc-connection.js';

describe('IRC connection: reading what the hub writes', () => {
  it('reads one frame, and every frame of a presence tick written as one buffer (joins and leaves together)', () => {
    expect(decodeShared(Buffer.from('{"type":"joined","name":"a"}\n'))).to.deep.equal([{ type: 'joined', name: 'a' }]);
    const tick = Buffer.from('{"type":"joined","name":"carl"}\n{"type":"joined","name":"olga"}\n{"type":"left","name":"bob","reason":"quit"}\n');
    expect(decodeShared(tick)).to.deep.equal([{ type: 'joined', name: 'carl' }, { type: 'joined', name: 'olga' }, { type: 'left', name: 'bob', reason: 'quit' }]);
    // the part a newcomer gets (the tick after its own join) and a line that is not JSON
    expect(decodeShared(tick.subarray(tick.indexOf(10) + 1))).to.have.length(2);
    expect(decodeShared(Buffer.from('not json\n{"type":"joined","name":"x"}\n'))).to.deep.equal([{ type: 'joined', name: 'x' }]);
  });
});
